import type { IncomingMessage, ServerResponse } from 'node:http'
import type { onRequestHookHandler } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'
import { KeelConfigError } from '../internal/config-error.js'
import type { OptionsReader } from '../internal/options.js'

type CspOptions = Exclude<NonNullable<HelmetOptions['contentSecurityPolicy']>, boolean>
type Directives = NonNullable<CspOptions['directives']>

/**
 * keel's helmet defaults for a JSON API (OWASP REST Security cheat sheet): nothing may load or frame a
 * response. helmet's headers for HTML pages and legacy browsers are off: they mean nothing to an API client
 * and each one costs Node's header validation and writing on every response. `true` turns one back on.
 */
export const keelHelmetDefaults: Readonly<HelmetOptions> = Object.freeze<HelmetOptions>({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
})

// helmet accepts two names for several options and throws when both are given; merge on one name.
const aliases: Readonly<Record<string, string>> = {
  frameguard: 'xFrameOptions',
  hsts: 'strictTransportSecurity',
  noSniff: 'xContentTypeOptions',
  dnsPrefetchControl: 'xDnsPrefetchControl',
  ieNoOpen: 'xDownloadOptions',
  permittedCrossDomainPolicies: 'xPermittedCrossDomainPolicies',
  hidePoweredBy: 'xPoweredBy',
  xssFilter: 'xXssProtection',
}

function canonical(options: HelmetOptions): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) result[aliases[key] ?? key] = value
  return result
}

function kebabDirectives(directives: Directives | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  if (directives === undefined) return result
  for (const [name, value] of Object.entries(directives)) {
    result[name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)] = value
  }
  return result
}

/**
 * `override` over `base`: each helmet option replaces the base one, except CSP directives, which are merged
 * directive by directive (unless the override sets `useDefaults: true`, asking for helmet's own set).
 */
export function mergeHelmetOptions(base: HelmetOptions, override: HelmetOptions): HelmetOptions {
  const result = canonical(base)
  for (const [key, value] of Object.entries(canonical(override))) {
    // `true` means "the default", which for an option keel sets is keel's value; for a header keel turns
    // off, it is helmet's default (the header is sent again).
    if (value === undefined || (value === true && key in result && result[key] !== false)) continue
    const current = result[key]
    if (key === 'contentSecurityPolicy' && typeof value === 'object' && value !== null && typeof current === 'object') {
      const baseCsp = current as CspOptions
      const overrideCsp = value as CspOptions
      const useDefaults = overrideCsp.useDefaults ?? baseCsp.useDefaults ?? false
      const directives = overrideCsp.useDefaults
        ? kebabDirectives(overrideCsp.directives)
        : { ...kebabDirectives(baseCsp.directives), ...kebabDirectives(overrideCsp.directives) }
      result[key] = { ...baseCsp, ...overrideCsp, useDefaults, directives }
    } else {
      result[key] = value
    }
  }
  return result as HelmetOptions
}

const dynamicCsp = { code: 'KEEL_ERR_SECURITY_DYNAMIC_CSP' } as const
const staticFix = 'use static sources or hashes: security headers are computed once, at startup'

function assertStaticCsp(options: HelmetOptions, path: string, read: OptionsReader): void {
  if ('enableCSPNonces' in options) {
    throw read.error(`${path}.enableCSPNonces`, 'is not supported', options.enableCSPNonces, staticFix, dynamicCsp)
  }
  const csp = options.contentSecurityPolicy
  if (typeof csp !== 'object' || csp === null || csp.directives === undefined) return
  for (const [name, value] of Object.entries(csp.directives)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    if (values.some((item) => typeof item === 'function')) {
      const directive = `${path}.contentSecurityPolicy.directives.${name}`
      throw read.error(
        directive,
        'holds a function (a per-request value such as a nonce)',
        value,
        staticFix,
        dynamicCsp,
      )
    }
  }
}

/**
 * Runs helmet once against a stand-in response and returns the headers it would set, lowercased. `path` names
 * the options in messages (`helmet`, `config.security.helmet`); helmet's own refusal becomes a `KeelConfigError`
 * of `read`.
 */
export function computeSecurityHeaders(
  options: HelmetOptions,
  path: string,
  read: OptionsReader,
): Record<string, string> {
  assertStaticCsp(options, path, read)
  const headers: Record<string, string> = {}
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failure: unknown
  try {
    helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
      failure = error
    })
  } catch (error) {
    failure = error
  }
  if (failure === undefined) return headers
  if (failure instanceof KeelConfigError) throw failure
  const reason = failure instanceof Error ? failure.message : String(failure)
  throw read.error(path, `is refused by helmet (${reason})`, options, 'fix the helmet option named there')
}

/** keel's headers of every response: helmet's, plus `cache-control: no-store` unless a route sets its own. */
export function responseHeaders(
  options: HelmetOptions | false,
  path: string,
  read: OptionsReader,
): Record<string, string> {
  const headers = options === false ? {} : computeSecurityHeaders(options, path, read)
  headers['cache-control'] = 'no-store'
  return headers
}

/**
 * The `onRequest` hook of a route with its own `config.security.helmet`: drops the app headers the route turns
 * off and sets the route's, both computed once when the route is declared.
 */
export function routeHeadersHook(
  appHelmet: HelmetOptions | false,
  appHeaders: Readonly<Record<string, string>>,
  routeHelmet: HelmetOptions | false,
  read: OptionsReader,
): onRequestHookHandler {
  const merged = routeHelmet === false ? false : mergeHelmetOptions(appHelmet === false ? {} : appHelmet, routeHelmet)
  const headers = responseHeaders(merged, 'config.security.helmet', read)
  const dropped = Object.keys(appHeaders).filter((name) => !(name in headers))
  return function keelRouteSecurityHeaders(_request, reply, done) {
    for (const name of dropped) reply.removeHeader(name)
    reply.headers(headers)
    done()
  }
}
