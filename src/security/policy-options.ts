// Rate-limit policies as users write them (app options, route config, app.rateLimitHook()) and as the limiter runs
// them: validated once, with the shared toolkit, into frozen objects with everything a request needs precomputed.
import type { FastifyRequest } from 'fastify'
import type { OptionsReader } from '../internal/options.js'
import { type PolicyHeaders, policyHeaders } from './rate-limit-headers.js'

/** The key of a client under a policy; `undefined` means the policy does not apply to the request. */
export type KeelRateLimitKey = string | number | undefined

/**
 * Returns the key a request is counted under (the client IP by default). Return `undefined` to leave the request
 * out of the policy, e.g. `(request) => request.user?.sub` on a policy that counts signed-in users only.
 */
export type KeelRateLimitKeyGenerator = (request: FastifyRequest) => KeelRateLimitKey | Promise<KeelRateLimitKey>

/** How a policy counts. */
export type KeelRateLimitAlgorithm = 'fixed' | 'sliding'

/**
 * One rate-limit policy: a quota of `max` units per `timeWindow` for each key.
 * @example
 * { name: 'burst', max: 10, timeWindow: '1 s', algorithm: 'sliding' }
 * @see docs/security.md
 */
export interface KeelRateLimitPolicy {
  /**
   * The policy's name in the `RateLimit-Policy` / `RateLimit` headers and in `violated-policies`: letters, digits,
   * `_`, `.` or `-`, at most 64 characters, unique among the policies of a route.
   * @default 'default' (app), 'route' (a route's own single policy)
   */
  name?: string
  /** Units allowed per key and window, an integer >= 1. @default 100 */
  max?: number
  /** Length of the window: milliseconds or a string such as `'1 s'`, `'15m'`, `'1 hour'`. @default '1 minute' */
  timeWindow?: string | number
  /**
   * `'fixed'`: a window starts at a key's first request and resets after `timeWindow` (a client can send `max`
   * just before the reset and `max` just after). `'sliding'`: at most `max` in any `timeWindow`-long interval.
   * @default the `rateLimit.algorithm` option ('fixed')
   */
  algorithm?: KeelRateLimitAlgorithm
  /** Key of a request. @default the `rateLimit.keyGenerator` option (the client IP, IPv6 grouped by /64) */
  keyGenerator?: KeelRateLimitKeyGenerator
  /** Units a request uses: an integer >= 0, or a function of the request (weighted endpoints). @default 1 */
  cost?: number | ((request: FastifyRequest) => number)
  /**
   * Once a key is refused by this policy, refuse it for this long (milliseconds or a string such as
   * `'15 minutes'`), shared through Redis. @default undefined (no block)
   */
  blockDuration?: string | number
  /**
   * Where the check runs: `'onRequest'` (first of the route's hooks, before `authenticate`, so failed logins
   * count) or `'preHandler'` (after `authenticate`, so `request.user` is set for the key).
   * @default 'onRequest'
   */
  hook?: 'onRequest' | 'preHandler'
  /** When Redis fails: `true` lets the request through, `false` answers 503. @default the `rateLimit.skipOnError` option */
  skipOnError?: boolean
}

/** A route's own policy: counted per route, or per `groupId` shared by every route that names it. */
export interface KeelRouteRateLimitPolicy extends KeelRateLimitPolicy {
  /** Share this policy's counters with every route whose policy has the same `groupId` and name. @default undefined (this route only) */
  groupId?: string
}

/**
 * A route's `config.security.rateLimit`: `false` (not limited), its own policy, or a list of its own policies and
 * names of the app's policies (whose counters are shared with the whole app).
 */
export type KeelRouteRateLimit = false | KeelRouteRateLimitPolicy | readonly (KeelRouteRateLimitPolicy | string)[]

/** A policy ready to run. */
export interface ResolvedPolicy {
  readonly name: string
  readonly max: number
  readonly windowMs: number
  /** 0 fixed, 1 sliding: the form the store scripts take. */
  readonly algorithm: 0 | 1
  /** `undefined`: the client IP. */
  readonly keyGenerator: KeelRateLimitKeyGenerator | undefined
  readonly cost: number | ((request: FastifyRequest) => number)
  /** 0 when the policy does not block. */
  readonly blockMs: number
  readonly hook: 'onRequest' | 'preHandler'
  readonly skipOnError: boolean
  /** Where its counters live: `app`, `route:<METHOD url>`, `group:<id>` or `custom`. */
  readonly scope: string
  /** Its header parts, serialised once. */
  readonly headers: PolicyHeaders
}

/** Values a policy takes from the `rateLimit` options when it does not set them. */
export interface PolicyDefaults {
  readonly algorithm: KeelRateLimitAlgorithm
  readonly keyGenerator: KeelRateLimitKeyGenerator | undefined
  readonly skipOnError: boolean
}

export const POLICY_KEYS = [
  'name',
  'max',
  'timeWindow',
  'algorithm',
  'keyGenerator',
  'cost',
  'blockDuration',
  'hook',
  'skipOnError',
]
const ROUTE_POLICY_KEYS = [...POLICY_KEYS, 'groupId']
const ALGORITHMS: readonly KeelRateLimitAlgorithm[] = ['fixed', 'sliding']
const HOOKS = ['onRequest', 'preHandler'] as const
// Safe in a Structured Field String and in a Redis key, and readable in a header.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const NAME_FIX = 'use letters, digits, "_", "." or "-" (at most 64 characters), starting with a letter or digit'

/** A policy name: safe in a Structured Field String and in a Redis key, readable in a header. */
export function policyName(read: OptionsReader, path: string, value: unknown, fallback: string): string {
  return read.string(path, value, fallback, { pattern: NAME_PATTERN, fix: NAME_FIX })
}

function resolveCost(read: OptionsReader, path: string, value: unknown, max: number): ResolvedPolicy['cost'] {
  if (typeof value === 'function') return value as (request: FastifyRequest) => number
  const cost = read.integer(path, value, 1, { min: 0, fix: 'pass an integer >= 0 or a function of the request' })
  if (cost > max) {
    throw read.error(path, `is more than max (${max}), so every request would be refused`, value, 'lower it')
  }
  return cost
}

/**
 * Validates one policy at `path`. `scope` says where its counters live; `fallbackName` is the name of a single
 * unnamed policy (`undefined` when the name is required, in lists).
 */
export function resolvePolicy(
  read: OptionsReader,
  path: string,
  value: unknown,
  defaults: PolicyDefaults,
  scope: string,
  fallbackName: string | undefined,
  allowGroup = false,
): ResolvedPolicy {
  const keys = allowGroup ? ROUTE_POLICY_KEYS : POLICY_KEYS
  const o = read.object(path, value, keys, { fix: `pass { ${keys.join(', ')} }` })
  if (o.name === undefined && fallbackName === undefined) {
    throw read.error(`${path}.name`, 'is required when a route or app has several policies', o.name, NAME_FIX)
  }
  const name = policyName(read, `${path}.name`, o.name, fallbackName ?? '')
  const max = read.integer(`${path}.max`, o.max, 100)
  const group = allowGroup ? read.optionalString(`${path}.groupId`, o.groupId) : undefined
  const windowMs = read.duration(`${path}.timeWindow`, o.timeWindow, '1 minute')
  return Object.freeze({
    name,
    max,
    windowMs,
    algorithm: read.oneOf(`${path}.algorithm`, o.algorithm, ALGORITHMS, defaults.algorithm) === 'fixed' ? 0 : 1,
    keyGenerator: read.func<KeelRateLimitKeyGenerator>(`${path}.keyGenerator`, o.keyGenerator) ?? defaults.keyGenerator,
    cost: resolveCost(read, `${path}.cost`, o.cost, max),
    blockMs: o.blockDuration === undefined ? 0 : read.duration(`${path}.blockDuration`, o.blockDuration, 0),
    hook: read.oneOf(`${path}.hook`, o.hook, HOOKS, 'onRequest'),
    skipOnError: read.boolean(`${path}.skipOnError`, o.skipOnError, defaults.skipOnError),
    scope: group === undefined ? scope : `group:${group}`,
    headers: policyHeaders({ name, max, windowMs }),
  })
}

/** Refuses two policies of one name in `policies` (they would be indistinguishable in the headers). */
export function assertUniqueNames(read: OptionsReader, path: string, policies: readonly ResolvedPolicy[]): void {
  const seen = new Set<string>()
  for (const policy of policies) {
    if (seen.has(policy.name)) {
      throw read.error(path, `names the policy "${policy.name}" twice`, policy.name, 'give each policy its own name')
    }
    seen.add(policy.name)
  }
}
