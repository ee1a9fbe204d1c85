import type { FastifyRequest } from 'fastify'
import type { HelmetOptions } from 'helmet'
import { describeValue, KeelConfigError } from '../internal/config-error.js'

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
  /** Methods allowed in preflights. @default ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] */
  methods?: readonly string[]
  /** Request headers allowed in preflights. @default ['authorization', 'content-type', 'x-request-id'] */
  allowedHeaders?: readonly string[]
  /**
   * Response headers readable by browser code, added to keel's own: `x-request-id`, `retry-after`,
   * `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`.
   * @default []
   */
  exposedHeaders?: readonly string[]
  /** Seconds a browser may cache a preflight (`access-control-max-age`). @default 600 */
  maxAge?: number
}

/**
 * Rate-limit options, passed to `@fastify/rate-limit` (registered with `global: true`).
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
  /** When Redis fails or times out: `true` lets the request through (fail open), `false` answers 503. @default true */
  skipOnError?: boolean
  /** Milliseconds to wait for Redis before treating the call as failed. @default 500 */
  storeTimeout?: number
  /** Routes whose URL starts with one of these are not limited (set `[]` to limit them too). @default ['/health/'] */
  exemptPrefixes?: readonly string[]
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
  /** Window length: milliseconds or a string such as `'15 minutes'`. @default '15 minutes' */
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

const defaultMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
const defaultAllowedHeaders = ['authorization', 'content-type', 'x-request-id'] as const

const unitMs: Record<string, number> = {
  ms: 1,
  msec: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
}
const durationPattern = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i

function invalid(option: string, value: unknown, expected: string): KeelConfigError {
  return new KeelConfigError(
    'KEEL_ERR_SECURITY_INVALID_OPTION',
    `keelSecurity: option "${option}" must be ${expected}, got ${describeValue(value)}`,
  )
}

/** Milliseconds of a duration given as a number of ms or a string like `'1 minute'`; throws a KeelConfigError otherwise. */
export function parseDuration(option: string, value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value
    throw invalid(option, value, 'a positive integer of milliseconds or a string such as "1 minute"')
  }
  const match = typeof value === 'string' ? durationPattern.exec(value.trim()) : null
  const unit = match?.[2] === undefined || match[2] === '' ? 'ms' : match[2].toLowerCase()
  const factor = unitMs[unit]
  if (match?.[1] === undefined || factor === undefined || Number(match[1]) * factor < 1) {
    throw invalid(option, value, 'a positive integer of milliseconds or a string such as "1 minute"')
  }
  return Math.round(Number(match[1]) * factor)
}

function checkKeys(option: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_INVALID_OPTION',
        `keelSecurity: unknown option "${option}.${key}"; known options are ${allowed.join(', ')}`,
      )
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringList(option: string, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw invalid(option, value, 'an array of non-empty strings')
  }
  return Object.freeze([...value])
}

function positiveInteger(option: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw invalid(option, value, allowZero ? 'an integer >= 0' : 'a positive integer')
  }
  return value
}

function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalid(option, value, 'a boolean')
  return value
}

function resolveOrigins(value: unknown): ReadonlySet<string> | '*' {
  if (value === undefined) return new Set()
  if (value === '*') return '*'
  if (!Array.isArray(value)) throw invalid('cors.origins', value, "an array of origins or '*'")
  for (const origin of value) {
    let serialized: string | undefined
    try {
      serialized = typeof origin === 'string' ? new URL(origin).origin : undefined
    } catch {
      serialized = undefined
    }
    if (origin === '*') {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_CORS_ORIGIN',
        `keelSecurity: option "cors.origins" mixes '*' with origins; use origins: '*' alone or list origins`,
      )
    }
    if (serialized === undefined || serialized === 'null' || serialized !== origin) {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_CORS_ORIGIN',
        `keelSecurity: option "cors.origins" has ${describeValue(origin)}, which is not a serialized origin` +
          (serialized !== undefined && serialized !== 'null'
            ? `; did you mean "${serialized}"?`
            : ' (scheme://host[:port])'),
      )
    }
  }
  return new Set(value as string[])
}

function resolveCors(value: unknown): ResolvedCors | false {
  if (value === false) return false
  if (value === undefined) value = {}
  if (!isPlainObject(value)) throw invalid('cors', value, 'false or an object')
  checkKeys('cors', value, ['origins', 'credentials', 'methods', 'allowedHeaders', 'exposedHeaders', 'maxAge'])
  const origins = resolveOrigins(value.origins)
  const credentials = booleanOption('cors.credentials', value.credentials, false)
  if (credentials && origins === '*') {
    throw new KeelConfigError(
      'KEEL_ERR_SECURITY_CORS_CREDENTIALS_WILDCARD',
      `keelSecurity: "cors.credentials: true" cannot be combined with "cors.origins: '*'"; list the origins allowed to send credentials`,
    )
  }
  const exposed = stringList('cors.exposedHeaders', value.exposedHeaders, [])
  const exposedHeaders = [...new Set([...keelExposedHeaders, ...exposed.map((name) => name.toLowerCase())])]
  return Object.freeze({
    origins,
    credentials,
    methods: stringList('cors.methods', value.methods, defaultMethods),
    allowedHeaders: stringList('cors.allowedHeaders', value.allowedHeaders, defaultAllowedHeaders),
    exposedHeaders: Object.freeze(exposedHeaders),
    maxAge: positiveInteger('cors.maxAge', value.maxAge, 600, true),
  })
}

function resolveRateLimit(value: unknown): ResolvedRateLimit | false {
  if (value === false) return false
  if (value === undefined) value = {}
  if (!isPlainObject(value)) throw invalid('rateLimit', value, 'false or an object')
  checkKeys('rateLimit', value, [
    'max',
    'timeWindow',
    'redis',
    'nameSpace',
    'keyGenerator',
    'allowList',
    'skipOnError',
    'storeTimeout',
    'exemptPrefixes',
  ])
  const redis = value.redis
  if (redis !== undefined && (!isPlainObjectLike(redis) || typeof redis.eval !== 'function')) {
    throw invalid('rateLimit.redis', redis, 'an ioredis client')
  }
  if (value.keyGenerator !== undefined && typeof value.keyGenerator !== 'function') {
    throw invalid('rateLimit.keyGenerator', value.keyGenerator, 'a function')
  }
  const allowList = value.allowList
  if (allowList !== undefined && typeof allowList !== 'function') stringList('rateLimit.allowList', allowList, [])
  const nameSpace = value.nameSpace ?? 'keel-rate-limit:'
  if (typeof nameSpace !== 'string' || nameSpace === '')
    throw invalid('rateLimit.nameSpace', nameSpace, 'a non-empty string')
  const exemptPrefixes = stringList('rateLimit.exemptPrefixes', value.exemptPrefixes, ['/health/'])
  for (const prefix of exemptPrefixes) {
    if (!prefix.startsWith('/')) throw invalid('rateLimit.exemptPrefixes', prefix, "paths starting with '/'")
  }
  return Object.freeze({
    max: positiveInteger('rateLimit.max', value.max, 100),
    timeWindow: parseDuration('rateLimit.timeWindow', (value.timeWindow ?? 60_000) as string | number),
    redis: redis as KeelRedisClient | undefined,
    nameSpace,
    keyGenerator: value.keyGenerator as KeelRateLimitOptions['keyGenerator'],
    allowList: allowList as KeelRateLimitOptions['allowList'],
    skipOnError: booleanOption('rateLimit.skipOnError', value.skipOnError, true),
    storeTimeout: positiveInteger('rateLimit.storeTimeout', value.storeTimeout, 500),
    exemptPrefixes,
  })
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** Validates the plugin options once at register time into a frozen config. */
export function resolveOptions(options: KeelSecurityOptions | undefined): ResolvedSecurity {
  const opts: unknown = options ?? {}
  if (!isPlainObject(opts)) throw invalid('options', opts, 'an object')
  checkKeys('options', opts, ['cors', 'helmet', 'rateLimit'])
  const helmet = opts.helmet ?? {}
  if (helmet !== false && !isPlainObject(helmet)) throw invalid('helmet', helmet, 'false or helmet options')
  return Object.freeze({
    cors: resolveCors(opts.cors),
    helmet: helmet as HelmetOptions | false,
    rateLimit: resolveRateLimit(opts.rateLimit),
  })
}

/** Resolved failure limit of one route. */
export interface ResolvedFailureLimit {
  readonly max: number
  readonly timeWindow: number
  readonly keyGenerator: ((request: FastifyRequest) => string | Promise<string>) | undefined
  readonly isFailure: (statusCode: number) => boolean
}

function defaultIsFailure(statusCode: number): boolean {
  return statusCode >= 400 && statusCode < 500 && statusCode !== 429
}

/** Validates a route's `config.security.failureLimit`. */
export function resolveFailureLimit(route: string, value: unknown): ResolvedFailureLimit {
  const fail = (message: string) =>
    new KeelConfigError('KEEL_ERR_SECURITY_ROUTE_CONFIG', `keelSecurity: route ${route}: ${message}`)
  if (!isPlainObject(value)) throw fail(`config.security.failureLimit must be an object, got ${describeValue(value)}`)
  for (const key of Object.keys(value)) {
    if (!['max', 'timeWindow', 'keyGenerator', 'isFailure'].includes(key)) {
      throw fail(`unknown option "config.security.failureLimit.${key}"`)
    }
  }
  const max = value.max ?? 5
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    throw fail(`config.security.failureLimit.max must be a positive integer, got ${describeValue(max)}`)
  }
  for (const name of ['keyGenerator', 'isFailure'] as const) {
    if (value[name] !== undefined && typeof value[name] !== 'function') {
      throw fail(`config.security.failureLimit.${name} must be a function, got ${describeValue(value[name])}`)
    }
  }
  let timeWindow: number
  try {
    timeWindow = parseDuration('timeWindow', (value.timeWindow ?? '15 minutes') as string | number)
  } catch {
    throw fail(`config.security.failureLimit.timeWindow is not a duration: ${describeValue(value.timeWindow)}`)
  }
  return Object.freeze({
    max,
    timeWindow,
    keyGenerator: value.keyGenerator as ResolvedFailureLimit['keyGenerator'],
    isFailure: (value.isFailure as ResolvedFailureLimit['isFailure'] | undefined) ?? defaultIsFailure,
  })
}
