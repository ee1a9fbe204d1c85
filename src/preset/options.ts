import type { KeelAuthOptions } from '../auth/options.js'
import type { KeelErrorsOptions } from '../errors/options.js'
import type { KeelHealthOptions } from '../health/options.js'
import { isPlainObject, optionsReader } from '../internal/options.js'
import type { KeelOpenApiOptions } from '../openapi/options.js'
import type { KeelPaginationOptions } from '../pagination/options.js'
import type { KeelRequestIdOptions } from '../request-id/options.js'
import type { KeelSecurityOptions } from '../security/options.js'

/**
 * Options of the {@link keel} preset: one entry per plugin, each that plugin's own options, or `false` to
 * leave the plugin out. Every plugin except `auth` is registered by default; `auth` needs a secret, so it
 * is registered only when its options are given.
 *
 * @example
 * await app.register(keel, {
 *   auth: { secret: process.env.JWT_SECRET!, issuer: 'https://api.example.com', audience: 'example-api' },
 *   security: { cors: { origins: ['https://app.example.com'] } },
 *   health: false,
 * })
 * @see README.md
 */
export interface KeelOptions {
  /** `keelRequestId` options, or `false` to skip it. @default {} */
  requestId?: KeelRequestIdOptions | false
  /** `keelErrors` options, or `false` to skip it. @default {} */
  errors?: KeelErrorsOptions | false
  /** `keelSecurity` options, or `false` to skip it. @default {} */
  security?: KeelSecurityOptions | false
  /** `keelHealth` options, or `false` to skip it. @default {} */
  health?: KeelHealthOptions | false
  /** `keelPagination` options, `true` for its defaults, or `false` to skip it. @default true */
  pagination?: KeelPaginationOptions | boolean
  /** `keelAuth` options (a secret, issuer and audience are required), or `false`. @default false (not registered) */
  auth?: KeelAuthOptions | false
  /**
   * `keelOpenApi` options (needs the optional peer `@fastify/swagger`), or `false`. Registered right after errors,
   * before any plugin declares routes, so the probes and the JWKS route are documented too.
   * @default false (not registered)
   */
  openapi?: KeelOpenApiOptions | false
}

/** The plugins of the preset, in the one order they are registered. */
export const PRESET_ORDER = ['requestId', 'errors', 'openapi', 'security', 'health', 'pagination', 'auth'] as const

/** One of the preset's plugins. */
export type PresetPlugin = (typeof PRESET_ORDER)[number]

/** The validators of the preset: messages start `fastify-keel:`, the code is `KEEL_ERR_PRESET_INVALID_OPTION`. */
export const read = optionsReader('', 'KEEL_ERR_PRESET_INVALID_OPTION')

/** The options object given for `name`, `{}` for its defaults, or `false` when it is left out. */
export function pluginOptions(options: KeelOptions, name: PresetPlugin): object | false {
  const value: unknown = options[name]
  if (value === false) return false
  // auth has no usable defaults (it needs a secret), openapi needs an optional peer: left out unless configured.
  if (value === undefined) return name === 'auth' || name === 'openapi' ? false : {}
  if (name === 'pagination' && value === true) return {}
  if (!isPlainObject(value)) {
    const expected = name === 'pagination' ? 'an options object, true or false' : 'an options object or false'
    throw read.error(name, `must be ${expected}`, value, `pass ${name}'s own options, or false to leave it out`)
  }
  return value
}

/**
 * Checks the shape of the preset options (each plugin validates its own) and returns, in registration
 * order, the plugins to register with their options.
 */
export function resolvePresetOptions(opts: unknown): Array<[PresetPlugin, object]> {
  const options = read.root(opts, PRESET_ORDER) as KeelOptions
  const plan: Array<[PresetPlugin, object]> = []
  for (const name of PRESET_ORDER) {
    const value = pluginOptions(options, name)
    if (value !== false) plan.push([name, value])
  }
  return plan
}
