import type { FastifyRequest } from 'fastify'
import type { HelmetOptions } from 'helmet'
import { isPlainObject, optionsReader } from '../internal/options.js'

/**
 * The part of an ioredis client the security plugin uses. An ioredis `Redis` (or `Cluster`) instance
 * fits as is; the package does not depend on ioredis at runtime.
 *
 * Set these on the client so an outage fails fast instead of queueing commands:
 * `new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })`.
 * @see docs/security.md
 */
export interface KeelRedisClient {
  /** Runs a Lua script (`EVAL`); used for atomic `INCR` + `PEXPIRE`. */
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>
  /** ioredis connection state (`ready`, `reconnecting`, `end`, …); commands are not sent while it is down. */
  readonly status?: string
}

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
   * `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`.
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
 * Rate-limit options, passed to `@fastify/rate-limit`.
 * @see docs/security.md
 */
export interface KeelRateLimitOptions {
  /** Requests allowed per client and time window, an integer >= 1 (use `rateLimit: false` to turn limits off). @default 100 */
  max?: number
  /** Length of the window: milliseconds or a string such as `'1 minute'`, `'15m'`, `'30 s'`. @default '1 minute' */
  timeWindow?: string | number
  /** An ioredis client: counters live in Redis and are shared by every instance. @default undefined (in memory) */
  redis?: KeelRedisClient
  /** Prefix of every Redis key the plugin writes. @default 'keel-rate-limit:' */
  nameSpace?: string
  /** Client key of a request. @default the client IP (`request.ip`, IPv6 grouped by /64) */
  keyGenerator?: (request: FastifyRequest) => string | number | Promise<string | number>
  /** Keys (or a predicate) never limited. @default undefined */
  allowList?: readonly string[] | ((request: FastifyRequest, key: string) => boolean | Promise<boolean>)
  /**
   * When Redis fails or times out: `true` lets the request through (fail open) while failure limits count in
   * this instance's memory; `false` answers 503 `RATE_LIMIT_UNAVAILABLE` (fail closed).
   * @default true
   */
  skipOnError?: boolean
  /** How long to wait for Redis before treating the call as failed: milliseconds or a string such as `'500ms'`. @default 500 */
  storeTimeout?: number | string
  /** Routes whose URL starts with one of these are not limited (e.g. `['/metrics']`). @default [] */
  exemptPrefixes?: readonly string[]
  /** Count requests that match no route (404s) against the app-wide limit, so route scanning is limited. @default true */
  notFound?: boolean
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
  /** Rate limiting through `@fastify/rate-limit`; `false` turns it off. @default { max: 100, timeWindow: '1 minute' } */
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

export interface ResolvedRateLimit {
  readonly max: number
  readonly timeWindow: number
  readonly redis: KeelRedisClient | undefined
  readonly nameSpace: string
  readonly keyGenerator: KeelRateLimitOptions['keyGenerator']
  readonly allowList: KeelRateLimitOptions['allowList']
  readonly skipOnError: boolean
  readonly storeTimeout: number
  readonly exemptPrefixes: readonly string[]
  readonly notFound: boolean
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
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
] as const

const defaultMethods = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'QUERY'])
const defaultAllowedHeaders = Object.freeze(['authorization', 'content-type', 'x-request-id'])

const KNOWN = ['cors', 'helmet', 'rateLimit']
const CORS_KEYS = ['origins', 'credentials', 'methods', 'allowedHeaders', 'exposedHeaders', 'maxAge']
const RATE_LIMIT_KEYS = [
  'max',
  'timeWindow',
  'redis',
  'nameSpace',
  'keyGenerator',
  'allowList',
  'skipOnError',
  'storeTimeout',
  'exemptPrefixes',
  'notFound',
]

/** The validators and error constructors of this plugin's options. */
export const read = optionsReader('security', 'KEEL_ERR_SECURITY_INVALID_OPTION')

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

function resolveRedis(value: unknown): KeelRedisClient | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof (value as KeelRedisClient).eval !== 'function') {
    throw read.error('rateLimit.redis', 'must be an ioredis client', value, 'pass new Redis(url) from ioredis')
  }
  return value as KeelRedisClient
}

function resolveAllowList(value: unknown): KeelRateLimitOptions['allowList'] {
  if (typeof value === 'function') return value as KeelRateLimitOptions['allowList']
  return value === undefined ? undefined : read.stringList('rateLimit.allowList', value, [])
}

function resolveExemptPrefixes(value: unknown): readonly string[] {
  const prefixes = read.stringList('rateLimit.exemptPrefixes', value, [])
  for (const prefix of prefixes) {
    if (!prefix.startsWith('/')) {
      throw read.error('rateLimit.exemptPrefixes', "must hold paths starting with '/'", prefix, "write e.g. '/metrics'")
    }
  }
  return prefixes
}

function resolveRateLimit(value: unknown): ResolvedRateLimit | false {
  if (value === false) return false
  const o = read.object('rateLimit', value, RATE_LIMIT_KEYS, { fix: `pass false or { ${RATE_LIMIT_KEYS.join(', ')} }` })
  return Object.freeze({
    max: read.integer('rateLimit.max', o.max, 100),
    timeWindow: read.duration('rateLimit.timeWindow', o.timeWindow, '1 minute'),
    redis: resolveRedis(o.redis),
    nameSpace: read.string('rateLimit.nameSpace', o.nameSpace, 'keel-rate-limit:'),
    keyGenerator: read.func<KeelRateLimitOptions['keyGenerator']>('rateLimit.keyGenerator', o.keyGenerator),
    allowList: resolveAllowList(o.allowList),
    skipOnError: read.boolean('rateLimit.skipOnError', o.skipOnError, true),
    storeTimeout: read.duration('rateLimit.storeTimeout', o.storeTimeout, 500),
    exemptPrefixes: resolveExemptPrefixes(o.exemptPrefixes),
    notFound: read.boolean('rateLimit.notFound', o.notFound, true),
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
