// The request limits: which policies limit which route, in which hook, decided here and only here.
//
// Each route's `onRequest` policies go first among its own `onRequest` hooks, so `onRequest: [app.authenticate]`
// cannot answer 401 before the request is counted (token guessing is limited); its `preHandler` policies go first
// among its `preHandler` hooks, after `authenticate`, so their keys can read `request.user`.
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { OptionsReader } from '../internal/options.js'
import { BlockCache } from './block-cache.js'
import { type LimiterEngine, type LimitHook, limitHook } from './limiter.js'
import { assertUniqueNames, type KeelRateLimitPolicy, type ResolvedPolicy, resolvePolicy } from './policy-options.js'
import { MemoryPolicyStore } from './policy-store-memory.js'
import { RedisPolicyStore } from './policy-store-redis.js'
import type { ResolvedRateLimit } from './rate-limit-options.js'
import { read } from './readers.js'
import type { RedisRunner } from './redis-runner.js'
import { routeName, routeRead } from './route-config.js'

/** The request limits of an app, built once at register time. */
export interface RequestLimits {
  /**
   * Puts the route's checks first in its `onRequest` and `preHandler` hooks, unless the route is not limited;
   * returns its policies.
   */
  limitRoute(route: RouteOptions, own: unknown): readonly ResolvedPolicy[]
  /** The check of the app's `onRequest` policies for requests that match no route, `undefined` when `notFound` is off. */
  readonly notFound: LimitHook | undefined
  /** The hook of `app.rateLimitHook(policies)`. */
  custom(policies: unknown): LimitHook
}

/** Puts `hook` first in the route's own `name` hooks, in a new array (the caller may share its list). */
function prependHook(route: RouteOptions, name: 'onRequest' | 'preHandler', hook: LimitHook): void {
  const target = route as unknown as Record<string, unknown>
  const hooks = target[name]
  target[name] = [hook, ...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])]
}

/**
 * A list of own policies and app policy names (route config, app.rateLimitHook()), resolved. `scope` says where the
 * own policies count; a single own policy without a name is called `fallbackName`.
 */
function resolveList(
  read: OptionsReader,
  path: string,
  value: unknown,
  limits: ResolvedRateLimit,
  scope: string,
  fallbackName: string,
  allowGroup: boolean,
): ResolvedPolicy[] {
  if (!Array.isArray(value)) return [resolvePolicy(read, path, value, limits.defaults, scope, fallbackName, allowGroup)]
  if (value.length === 0) {
    throw read.error(path, 'is an empty list', value, 'pass false for no limits, or list policies')
  }
  const policies = value.map((item: unknown, i) => {
    if (typeof item !== 'string') {
      return resolvePolicy(read, `${path}[${i}]`, item, limits.defaults, scope, undefined, allowGroup)
    }
    const app = limits.policies.find((policy) => policy.name === item)
    if (app === undefined) {
      const names = limits.policies.map((policy) => `"${policy.name}"`).join(', ')
      throw read.error(`${path}[${i}]`, 'names no app policy', item, `name one of ${names}, or pass a policy`)
    }
    return app
  })
  assertUniqueNames(read, path, policies)
  return policies
}

/**
 * The one decision per route. keel's own `config.security.rateLimit` comes first; then `config.rateLimit: false`,
 * the signal `@fastify/rate-limit` defines and keelHealth's probes send (its other values are refused: they are
 * `@fastify/rate-limit` options, not keel's); then `exemptPrefixes`; every other route gets the app's policies.
 */
function routePolicies(route: RouteOptions, own: unknown, limits: ResolvedRateLimit): readonly ResolvedPolicy[] {
  const path = 'config.security.rateLimit'
  if (own === false) return []
  if (own !== undefined) return resolveList(routeRead, path, own, limits, `route:${routeName(route)}`, 'route', true)
  // Not typed by keel: @fastify/rate-limit's augmentation types it, when that package's types are loaded.
  const foreign = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit
  if (foreign === false) return []
  if (foreign !== undefined) {
    throw routeRead.error(
      'config.rateLimit',
      'is not read by keelSecurity (it is an option of @fastify/rate-limit)',
      foreign,
      'move the policy to config.security.rateLimit, e.g. { security: { rateLimit: { max: 5, timeWindow: "1 minute" } } }',
    )
  }
  return limits.exemptPrefixes.some((prefix) => route.url.startsWith(prefix)) ? [] : limits.policies
}

function engineOf(limits: ResolvedRateLimit, runner: RedisRunner | undefined): LimiterEngine {
  return Object.freeze({
    store:
      runner === undefined
        ? { memory: new MemoryPolicyStore() }
        : { redis: new RedisPolicyStore(runner), blocks: new BlockCache() },
    modes: limits.headers,
    allowList: limits.allowList,
    nameSpace: limits.nameSpace,
  })
}

/** One hook per distinct set of policies and hook name, shared by every route with that set. */
function hookCache(engine: LimiterEngine) {
  const hooks = new Map<string, LimitHook>()
  return (policies: readonly ResolvedPolicy[]): LimitHook => {
    const id = policies.map((policy) => `${policy.scope}\u0000${policy.name}`).join('\u0001')
    const shared = policies.every((policy) => policy.scope === 'app')
    let hook = shared ? hooks.get(id) : undefined
    if (hook === undefined) {
      hook = limitHook(policies, engine)
      if (shared) hooks.set(id, hook)
    }
    return hook
  }
}

/** Builds the request limits of `app`, and decorates `app.rateLimitHook(policies)`. */
export function registerRequestLimits(
  app: FastifyInstance,
  limits: ResolvedRateLimit,
  runner: RedisRunner | undefined,
): RequestLimits {
  const engine = engineOf(limits, runner)
  const hookFor = hookCache(engine)
  const inHook = (policies: readonly ResolvedPolicy[], hook: 'onRequest' | 'preHandler') =>
    policies.filter((policy) => policy.hook === hook)
  const appOnRequest = inHook(limits.policies, 'onRequest')
  const requestLimits: RequestLimits = {
    limitRoute(route, own) {
      const policies = routePolicies(route, own, limits)
      const preHandler = inHook(policies, 'preHandler')
      const onRequest = inHook(policies, 'onRequest')
      if (preHandler.length > 0) prependHook(route, 'preHandler', hookFor(preHandler))
      if (onRequest.length > 0) prependHook(route, 'onRequest', hookFor(onRequest))
      return policies
    },
    notFound: limits.notFound && appOnRequest.length > 0 ? hookFor(appOnRequest) : undefined,
    custom(policies) {
      if (policies === undefined) return hookFor(limits.policies)
      return limitHook(resolveList(read, 'app.rateLimitHook()', policies, limits, 'custom', 'default', false), engine)
    },
  }
  app.decorate(
    'rateLimitHook',
    function rateLimitHook(policies?: KeelRateLimitPolicy | readonly (KeelRateLimitPolicy | string)[]) {
      return requestLimits.custom(policies)
    },
  )
  return requestLimits
}
