import type { FastifyRequest } from 'fastify'
import type { HelmetOptions } from 'helmet'
import { isPlainObject, optionsReader } from '../internal/options.js'
import {
  assertUniqueNames,
  type KeelRateLimitAlgorithm,
  type KeelRateLimitKeyGenerator,
  type KeelRateLimitPolicy,
  type KeelRouteRateLimit,
  type PolicyDefaults,
  type ResolvedPolicy,
  resolvePolicy,
} from './policy-options.js'
import type { HeaderModes } from './rate-limit-headers.js'

/**
 * The part of an ioredis client the security plugin uses. An ioredis `Redis` (or `Cluster`) instance
 * fits as is; the package does not depend on ioredis at runtime.
 *
 * Set these on the client so an outage fails fast instead of queueing commands:
 * `new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })`.
 * @see docs/security.md
 */
export interface KeelRedisClient {
  /** Runs a Lua script (`EVAL`): every check is one atomic script. */
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>
  /** Runs a script Redis already knows by its SHA-1 (`EVALSHA`), so the script is not resent with every check. */
  evalsha?(sha1: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>
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

/** Rate-limit header dialects, see {@link KeelRateLimitOptions.headers}. */
export type KeelRateLimitHeaders = 'draft-ietf-11' | 'legacy'

/**
 * Rate-limit options: the app's policies (one, from `max` and `timeWindow`, or several in `policies`), where
 * counters live, and which headers describe them.
 * @example
 * rateLimit: { policies: [{ name: 'burst', max: 10, timeWindow: '1 s' }, { name: 'hourly', max: 1000, timeWindow: '1 h' }] }
 * @see docs/security.md
 */
export interface KeelRateLimitOptions {
  /** Units allowed per client and window in the app's `default` policy, an integer >= 1. @default 100 */
  max?: number
  /** Window of the `default` policy: milliseconds or a string such as `'1 minute'`, `'15m'`, `'30 s'`. @default '1 minute' */
  timeWindow?: string | number
  /** Units a request uses in the `default` policy: an integer >= 0 or a function of the request. @default 1 */
  cost?: number | ((request: FastifyRequest) => number)
  /** Once the `default` policy refuses a client, refuse it for this long (a duration). @default undefined (no block) */
  blockDuration?: string | number
  /**
   * The app's policies instead of the one `default` policy of `max` / `timeWindow`: every route and every request
   * that matches no route is checked against all of them (in the hook each names). Names are required.
   * @default undefined
   */
  policies?: readonly KeelRateLimitPolicy[]
  /** How policies count unless they say otherwise: `'fixed'` windows or `'sliding'` ones. @default 'fixed' */
  algorithm?: KeelRateLimitAlgorithm
  /** Client key of a request, for policies that set none. @default the client IP (`request.ip`, IPv6 grouped by /64) */
  keyGenerator?: KeelRateLimitKeyGenerator
  /**
   * Headers that describe the policies on every limited response: `'draft-ietf-11'` (`RateLimit-Policy` and
   * `RateLimit`, Structured Fields), `'legacy'` (`RateLimit-Limit`, `-Remaining`, `-Reset`), both in a list, or
   * `false` (none; a 429 still has `Retry-After`).
   * @default 'draft-ietf-11'
   */
  headers?: KeelRateLimitHeaders | readonly KeelRateLimitHeaders[] | false
  /** An ioredis client: counters live in Redis and are shared by every instance. @default undefined (in memory) */
  redis?: KeelRedisClient
  /** Prefix of every Redis key the plugin writes. @default 'keel-rate-limit:' */
  nameSpace?: string
  /** Keys (of any policy), or a predicate of the request and a policy's key, never limited. @default undefined */
  allowList?: readonly string[] | ((request: FastifyRequest, key: string) => boolean)
  /**
   * When Redis fails or times out, for policies that set none: `true` lets the request through (fail open)
   * while failure limits count in this instance's memory; `false` answers 503 `RATE_LIMIT_UNAVAILABLE`.
   * @default true
   */
  skipOnError?: boolean
  /** How long to wait for Redis before treating the call as failed: milliseconds or a string such as `'500ms'`. @default 500 */
  storeTimeout?: number | string
  /** Routes whose URL starts with one of these are not limited (e.g. `['/metrics']`). @default [] */
  exemptPrefixes?: readonly string[]
  /** Count requests that match no route (404s) against the app's `onRequest` policies, so route scanning is limited. @default true */
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

export interface ResolvedRateLimit {
  /** The app's policies, counted app-wide. */
  readonly policies: readonly ResolvedPolicy[]
  /** What route and app.rateLimitHook() policies take when they set nothing. */
  readonly defaults: PolicyDefaults
  readonly headers: HeaderModes
  readonly redis: KeelRedisClient | undefined
  readonly nameSpace: string
  readonly allowList: ReadonlySet<string> | ((request: FastifyRequest, key: string) => boolean) | undefined
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
/** The fields of the `default` policy, which `policies` replaces. */
const SHORTHAND_KEYS = ['max', 'timeWindow', 'cost', 'blockDuration']
const RATE_LIMIT_KEYS = [
  ...SHORTHAND_KEYS,
  'policies',
  'algorithm',
  'headers',
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

function resolveAllowList(value: unknown): ResolvedRateLimit['allowList'] {
  if (typeof value === 'function') return value as (request: FastifyRequest, key: string) => boolean
  return value === undefined ? undefined : new Set(read.stringList('rateLimit.allowList', value, []))
}

const HEADER_DIALECTS: readonly KeelRateLimitHeaders[] = ['draft-ietf-11', 'legacy']

function resolveHeaders(value: unknown): HeaderModes {
  if (value === false) return Object.freeze({ draft: false, legacy: false })
  const list = value === undefined ? ['draft-ietf-11'] : Array.isArray(value) ? value : [value]
  if (list.length === 0) {
    throw read.error('rateLimit.headers', 'must name at least one dialect', value, 'pass false to send none')
  }
  const dialects = list.map((dialect, i) =>
    read.oneOf(`rateLimit.headers${Array.isArray(value) ? `[${i}]` : ''}`, dialect, HEADER_DIALECTS, 'draft-ietf-11'),
  )
  return Object.freeze({ draft: dialects.includes('draft-ietf-11'), legacy: dialects.includes('legacy') })
}

/** The app's policies: `policies`, or the one `default` policy of the shorthand fields. */
function resolveAppPolicies(o: Record<string, unknown>, defaults: PolicyDefaults): readonly ResolvedPolicy[] {
  if (o.policies === undefined) {
    const shorthand = Object.fromEntries(SHORTHAND_KEYS.map((key) => [key, o[key]]))
    return Object.freeze([resolvePolicy(read, 'rateLimit', shorthand, defaults, 'app', 'default')])
  }
  for (const key of SHORTHAND_KEYS) {
    if (o[key] !== undefined) {
      throw read.error(`rateLimit.${key}`, 'cannot be set next to rateLimit.policies', o[key], 'set it in each policy')
    }
  }
  if (!Array.isArray(o.policies) || o.policies.length === 0) {
    throw read.error(
      'rateLimit.policies',
      'must be a non-empty array of policies',
      o.policies,
      "pass e.g. [{ name: 'burst', max: 10, timeWindow: '1 s' }]",
    )
  }
  const policies = o.policies.map((policy, i) =>
    resolvePolicy(read, `rateLimit.policies[${i}]`, policy, defaults, 'app', undefined),
  )
  assertUniqueNames(read, 'rateLimit.policies', policies)
  return Object.freeze(policies)
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
  const skipOnError = read.boolean('rateLimit.skipOnError', o.skipOnError, true)
  const defaults: PolicyDefaults = Object.freeze({
    algorithm: read.oneOf('rateLimit.algorithm', o.algorithm, ['fixed', 'sliding'] as const, 'fixed'),
    keyGenerator: read.func<KeelRateLimitKeyGenerator>('rateLimit.keyGenerator', o.keyGenerator),
    skipOnError,
  })
  return Object.freeze({
    policies: resolveAppPolicies(o, defaults),
    defaults,
    headers: resolveHeaders(o.headers),
    redis: resolveRedis(o.redis),
    nameSpace: read.string('rateLimit.nameSpace', o.nameSpace, 'keel-rate-limit:'),
    allowList: resolveAllowList(o.allowList),
    skipOnError,
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
