// The `rateLimit` options: the app's policies, where counters live, which headers describe them.
import type { FastifyRequest } from 'fastify'
import {
  assertUniqueNames,
  type KeelRateLimitAlgorithm,
  type KeelRateLimitKeyGenerator,
  type KeelRateLimitPolicy,
  type PolicyDefaults,
  type ResolvedPolicy,
  resolvePolicy,
} from './policy-options.js'
import type { HeaderModes } from './rate-limit-headers.js'
import { read } from './readers.js'

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

/** Validates the `rateLimit` option (`false`: no rate limits). */
export function resolveRateLimit(value: unknown): ResolvedRateLimit | false {
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
