import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify'
import fp from 'fastify-plugin'
import { keelErrors } from '../errors/plugin.js'
import { keelHealth } from '../health/plugin.js'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { keelOpenApi } from '../openapi/plugin.js'
import { keelPagination } from '../pagination/plugin.js'
import { keelRequestId } from '../request-id/plugin.js'
import { keelSecurity } from '../security/plugin.js'
import { type KeelOptions, type PresetPlugin, resolvePresetOptions } from './options.js'

// The plugins' option types differ; each entry gets the options object meant for it.
type AnyPlugin = FastifyPluginAsync<object> | FastifyPluginCallback<object>

const plugins: Readonly<Record<Exclude<PresetPlugin, 'auth'>, AnyPlugin>> = {
  requestId: keelRequestId as AnyPlugin,
  errors: keelErrors as AnyPlugin,
  openapi: keelOpenApi as AnyPlugin,
  security: keelSecurity as AnyPlugin,
  health: keelHealth as AnyPlugin,
  pagination: keelPagination as AnyPlugin,
}

/**
 * auth is loaded only when it is configured: its JWT stack (fast-jwt and what it brings) is a few MB of every
 * process that imports the preset, for nothing when auth is off.
 */
async function pluginOf(name: PresetPlugin): Promise<AnyPlugin> {
  if (name === 'auth') return (await import('../auth/plugin.js')).keelAuth as AnyPlugin
  return plugins[name]
}

const plugin: FastifyPluginAsync<KeelOptions> = async function keelPreset(app, opts) {
  // Request ids first (every later log line and problem document carries one), then the error handler
  // (so every later plugin's errors become problem documents), security before the routes that health
  // and auth add (headers and rate limits reach them), auth last.
  for (const [name, options] of resolvePresetOptions(opts)) {
    await app.register(await pluginOf(name), options)
  }
}

/**
 * Every fastify-keel plugin in one register call, in the one correct order: request-id, errors, openapi,
 * security, health, pagination, auth. Pass a plugin's options under its name, or `false` to leave it out; `auth` and
 * `openapi` are registered only when their options are given. Register it before your routes.
 *
 * The root entry brings no plugin's decorator types: import the subpath of each plugin whose decorators you use
 * (`import type {} from 'fastify-keel/auth'` types `app.authenticate` and `request.user`).
 *
 * @example
 * import Fastify from 'fastify'
 * import { keel, keelServerOptions, type KeelOptions } from 'fastify-keel'
 * import type {} from 'fastify-keel/auth'
 *
 * const options: KeelOptions = {
 *   auth: { secret: process.env.JWT_SECRET!, issuer: 'https://api.example.com', audience: 'example-api' },
 *   security: { cors: { origins: ['https://app.example.com'] } },
 * }
 * const app = Fastify({ logger: true, ...keelServerOptions(options) })
 * await app.register(keel, options)
 * app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
 * @see README.md
 */
export const keel = fp(plugin, { name: 'fastify-keel', fastify: FASTIFY_VERSIONS })
export default keel
