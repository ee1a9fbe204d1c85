import type { FastifyRequest } from 'fastify'
import type { HelmetOptions } from 'helmet'
import { isPlainObject } from '../internal/options.js'
import type { KeelRouteRateLimit } from './policy-options.js'
import { type KeelRateLimitOptions, type ResolvedRateLimit, resolveRateLimit } from './rate-limit-options.js'
import { read } from './readers.js'

export type {
  KeelRateLimitHeaders,
  KeelRateLimitOptions,
  KeelRedisClient,
  ResolvedRateLimit,
} from './rate-limit-options.js'
export { read }

/**
 * CORS options. Only the listed origins are allowed; anything else gets no CORS headers.
 * @see docs/security.md
 */
export interface KeelCorsOptions {
  /**
   * Serialized origins (`scheme://host[:port]`, lowercase, no path) allowed to call the API from a browser,
   * or `'*'` for a public API that never uses cookies. An empty list turns CORS off.
   * @default []
   */
  origins?: readonly string[] | '*'
  /** Send `access-control-allow-credentials: true` (cookies, HTTP auth). Refused together with `'*'`. @default false */
  credentials?: boolean
  /** Methods allowed in preflights. @default ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY'] */
  methods?: readonly string[]
  /** Request headers allowed in preflights. @default ['authorization', 'content-type', 'x-request-id'] */
  allowedHeaders?: readonly string[]
  /**
   * Response headers readable by browser code, added to keel's own: `x-request-id`, `retry-after`,
   * `ratelimit-policy`, `ratelimit`, `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`.
   * @default []
   */
  exposedHeaders?: readonly string[]
  /**
   * How long a browser may cache a preflight (`access-control-max-age`, sent in whole seconds): milliseconds
   * or a string such as `'10 minutes'`; `0` for no caching.
   * @default '10 minutes'
   */
  maxAge?: number | string
}

/**
 * Options of {@link keelSecurity}. Every part has a safe default; `false` turns a part off.
 * @example
 * await app.register(keelSecurity, { cors: { origins: ['https://app.example.com'], credentials: true } })
 * @see docs/security.md
 */
export interface KeelSecurityOptions {
  /** CORS through `@fastify/cors`; without `origins` no cross-origin access is allowed. @default { origins: [] } */
  cors?: false | KeelCorsOptions
  /** helmet options merged over keel's JSON API defaults; `false` sends no security headers. @default {} */
  helmet?: false | HelmetOptions
  /** Rate limiting; `false` turns it off. @default { max: 100, timeWindow: '1 minute' } */
  rateLimit?: false | KeelRateLimitOptions
}

/**
 * Limit on failed attempts for one route (login, password reset, refresh): only responses that count as
 * failures use up the budget, so a client that succeeds is never locked out by its own successes.
 * @example
 * app.post('/login', { config: { security: { failureLimit: { max: 5, timeWindow: '15 minutes' } } } }, login)
 * @see docs/security.md
 */
export interface KeelFailureLimitOptions {
  /** Its policy name in the headers and `violated-policies` of its 429. @default 'failures' */
  name?: string
  /** Failures allowed per key and window; the next attempt gets 429. @default 5 */
  max?: number
  /** Window length: milliseconds or a string such as `'15 minutes'` or `'15m'`. @default '15 minutes' */
  timeWindow?: string | number
  /**
   * Key of an attempt, called in `preHandler` (the body is parsed), e.g. the IP plus the submitted user name.
   * @default the client IP (IPv6 grouped by /64)
   */
  keyGenerator?: (request: FastifyRequest) => string | Promise<string>
  /** Whether a response status counts as a failed attempt. @default 4xx except 429 */
  isFailure?: (statusCode: number) => boolean
}

/**
 * Per-route security settings, under `config.security` of a route.
 * @example
 * app.get('/docs', { config: { security: { helmet: { contentSecurityPolicy: { directives: { scriptSrc: ["'self'"] } } } } } }, page)
 * @see docs/security.md
 */
export interface KeelRouteSecurityConfig {
  /** helmet options merged over the app's for this route only, or `false` for no security headers. */
  helmet?: false | HelmetOptions
  /** Count only failed attempts on this route, see {@link KeelFailureLimitOptions}. */
  failureLimit?: KeelFailureLimitOptions
  /**
   * This route's rate limits instead of the app's: `false` (none), a policy of its own, or a list of its own
   * policies and names of app policies (e.g. `['default', { name: 'exports', max: 5, timeWindow: '1 h' }]`).
   * @default the app's policies
   */
  rateLimit?: KeelRouteRateLimit
}

export interface ResolvedCors {
  readonly origins: ReadonlySet<string> | '*'
  readonly credentials: boolean
  readonly methods: readonly string[]
  readonly allowedHeaders: readonly string[]
  readonly exposedHeaders: readonly string[]
  /** Whole seconds, as sent in `access-control-max-age`. */
  readonly maxAge: number
}

export interface ResolvedSecurity {
  readonly cors: ResolvedCors | false
  readonly helmet: HelmetOptions | false
  readonly rateLimit: ResolvedRateLimit | false
}

/** Headers keel itself sends that browser code may need to read. */
export const keelExposedHeaders = [
  'x-request-id',
  'retry-after',
  'ratelimit-policy',
  'ratelimit',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
] as const

const defaultMethods = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY'])
const defaultAllowedHeaders = Object.freeze(['authorization', 'content-type', 'x-request-id'])

const KNOWN = ['cors', 'helmet', 'rateLimit']
const CORS_KEYS = ['origins', 'credentials', 'methods', 'allowedHeaders', 'exposedHeaders', 'maxAge']
function serializedOrigin(origin: unknown): string | undefined {
  if (typeof origin !== 'string') return undefined
  try {
    const serialized = new URL(origin).origin
    return serialized === 'null' ? undefined : serialized
  } catch {
    return undefined
  }
}

function resolveOrigins(value: unknown): ReadonlySet<string> | '*' {
  if (value === undefined) return new Set()
  if (value === '*') return '*'
  if (!Array.isArray(value)) {
    throw read.error(
      'cors.origins',
      "must be an array of origins or '*'",
      value,
      "pass e.g. ['https://app.example.com']",
    )
  }
  for (const [index, origin] of value.entries()) {
    const path = `cors.origins[${index}]`
    const code = 'KEEL_ERR_SECURITY_CORS_ORIGIN'
    if (origin === '*') throw read.error(path, "mixes '*' with origins", origin, "use origins: '*' alone", { code })
    const serialized = serializedOrigin(origin)
    if (serialized !== origin) {
      const fix =
        serialized === undefined ? 'write scheme://host[:port]' : `write "${serialized}" (scheme://host[:port])`
      throw read.error(path, 'is not a serialized origin', origin, fix, { code })
    }
  }
  return new Set(value as string[])
}

function resolveMaxAge(value: unknown): number {
  const ms = read.duration('cors.maxAge', value, '10 minutes', { min: 0 })
  if (ms > 0 && ms < 1000) {
    throw read.error(
      'cors.maxAge',
      'must be 0 or at least one second (it is sent in whole seconds)',
      value,
      "pass a duration such as '10 minutes' or 600_000 (numbers are milliseconds)",
    )
  }
  return Math.floor(ms / 1000)
}

function resolveCors(value: unknown): ResolvedCors | false {
  if (value === false) return false
  const o = read.object('cors', value, CORS_KEYS, { fix: `pass false or { ${CORS_KEYS.join(', ')} }` })
  const origins = resolveOrigins(o.origins)
  const credentials = read.boolean('cors.credentials', o.credentials, false)
  if (credentials && origins === '*') {
    throw read.error(
      'cors.credentials',
      "cannot be true with origins: '*'",
      true,
      'list the origins that may send credentials',
      {
        code: 'KEEL_ERR_SECURITY_CORS_CREDENTIALS_WILDCARD',
      },
    )
  }
  const exposed = read.stringList('cors.exposedHeaders', o.exposedHeaders, [])
  return Object.freeze({
    origins,
    credentials,
    methods: read.stringList('cors.methods', o.methods, defaultMethods),
    allowedHeaders: read.stringList('cors.allowedHeaders', o.allowedHeaders, defaultAllowedHeaders),
    exposedHeaders: Object.freeze([...new Set([...keelExposedHeaders, ...exposed.map((name) => name.toLowerCase())])]),
    maxAge: resolveMaxAge(o.maxAge),
  })
}

function resolveHelmet(value: unknown): HelmetOptions | false {
  if (value === undefined) return {}
  if (value !== false && !isPlainObject(value)) {
    throw read.error('helmet', 'must be false or helmet options', value, 'pass e.g. { strictTransportSecurity: false }')
  }
  return value as HelmetOptions | false
}

/** Validates the plugin options once at register time into a frozen config. */
export function resolveOptions(options: unknown): ResolvedSecurity {
  const o = read.root(options, KNOWN)
  return Object.freeze({
    cors: resolveCors(o.cors),
    helmet: resolveHelmet(o.helmet),
    rateLimit: resolveRateLimit(o.rateLimit),
  })
}
