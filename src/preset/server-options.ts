// The preset's half of the responses no plugin hook reaches (see errors/server-options.ts): it knows every plugin's
// options, so it is the one place that decides which request id header and which security headers they carry.
import type { HelmetOptions } from 'helmet'
import type { ProblemServerOptions } from '../errors/server-options.js'
import { problemServerOptions } from '../errors/server-options.js'
import { resolveRequestIdOptions } from '../request-id/options.js'
import { keelHelmetDefaults, mergeHelmetOptions, responseHeaders } from '../security/headers.js'
import { type KeelOptions, pluginOptions, read, resolvePresetOptions } from './options.js'

/** `frameworkErrors` and `clientErrorHandler` for `Fastify()`, or nothing when the preset leaves `errors` out. */
export type KeelServerOptions = Partial<ProblemServerOptions>

/** The headers keelSecurity puts on every response: its helmet set over keel's defaults, and `cache-control`. */
function securityHeaders(security: object | false): Record<string, string> {
  if (security === false) return {}
  const helmet = (security as { helmet?: unknown }).helmet ?? {}
  if (helmet !== false && (typeof helmet !== 'object' || helmet === null)) {
    throw read.error('security.helmet', 'must be false or helmet options', helmet, 'pass helmet options or false')
  }
  const merged = helmet === false ? false : mergeHelmetOptions(keelHelmetDefaults, helmet as HelmetOptions)
  return responseHeaders(merged, 'security.helmet', read)
}

/**
 * Fastify server options that answer, with problem documents carrying the request id and the security headers,
 * what Fastify and Node answer before any plugin runs: undecodable URLs, over-long path parameters, and requests
 * Node's HTTP parser refuses (headers too large, bad framing). Built from the same options as the preset; pass both.
 *
 * @param options the options you register `keel` with
 * @example
 * const options = { security: { cors: { origins: ['https://app.example.com'] } } } satisfies KeelOptions
 * const app = Fastify({ logger: true, ...keelServerOptions(options) })
 * await app.register(keel, options)
 * @see docs/preset.md
 */
export function keelServerOptions(options: KeelOptions = {}): KeelServerOptions {
  resolvePresetOptions(options)
  const errors = pluginOptions(options, 'errors')
  if (errors === false) return {}
  const requestId = pluginOptions(options, 'requestId')
  const ids = requestId === false ? undefined : resolveRequestIdOptions(requestId)
  return problemServerOptions({
    ...errors,
    headers: securityHeaders(pluginOptions(options, 'security')),
    ...(ids === undefined ? {} : { requestIdHeader: ids.header, generateId: ids.generate }),
  })
}
