// The request limits: which route is limited by what, decided here and only here, and what a refusal says.
//
// @fastify/rate-limit is registered in a child context of its own, so its `onRoute` hook never sees the app's
// routes (on its own it appends its check after a route's hooks, where `onRequest: [app.authenticate]` would
// answer 401 before the request is counted). keel asks it for its documented `rateLimit(options)` check
// instead and puts that first in each limited route's `onRequest`, in `limitRoute` below.
import fastifyRateLimit, { type RateLimitOptions, type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { HttpError } from '../errors/index.js'
import { isPlainObject } from '../internal/options.js'
import type { ResolvedRateLimit } from './options.js'
import { routeRead } from './route-config.js'
import { kRouteKey, type RedisCounters, redisRateLimitStore } from './stores.js'

/** A rate-limit check as `@fastify/rate-limit` builds it: sets the `ratelimit-*` headers, throws a refusal. */
export type LimitCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<undefined>

/** The request limits of an app, built once at register time. */
export interface RequestLimits {
  /** Puts the route's check first in its `onRequest` hooks, unless the route is not limited. */
  limitRoute(route: RouteOptions): void
  /** The app-wide check for requests that match no route, or `undefined` when `notFound` is off. */
  readonly notFound: LimitCheck | undefined
}

function seconds(ttlMs: number): string {
  return String(Math.max(0, Math.ceil(ttlMs / 1000)))
}

/**
 * The headers of a refusal, on the reply: the limit headers of a response always describe the limit that
 * answered it (`@fastify/rate-limit` writes them for request limits, this for failure limits). Errors carry
 * no limit headers of their own, so there is one source for them whatever error handler renders the error.
 */
export function writeRefusalHeaders(reply: FastifyReply, limit: string, retryAfter: string): void {
  reply.header('ratelimit-limit', limit)
  reply.header('ratelimit-remaining', '0')
  reply.header('ratelimit-reset', retryAfter)
  reply.header('retry-after', retryAfter)
}

/** The error of a refused request; its headers are already on the reply. */
export function rateLimitedError(status: 429 | 403, retryAfter: string): HttpError {
  return status === 403
    ? new HttpError(403, 'Too many requests; access is blocked for now', { code: 'RATE_LIMIT_BANNED' })
    : new HttpError(429, `Too many requests; retry in ${retryAfter} seconds`, { code: 'RATE_LIMITED' })
}

/**
 * The one decision per route. The route's own `config.rateLimit` (the contract @fastify/rate-limit defines and
 * types) comes first: `false` is how keelHealth keeps its probes unlimited, with or without keelSecurity. Then
 * `exemptPrefixes`; every other route gets the app-wide limit.
 */
function routeLimit(route: RouteOptions, limits: ResolvedRateLimit): RateLimitOptions | 'app' | false {
  const own: unknown = route.config?.rateLimit
  if (own === false) return false
  if (own !== undefined) {
    if (!isPlainObject(own)) {
      throw routeRead.error('config.rateLimit', 'must be false or rate-limit options', own, 'pass e.g. { max: 5 }')
    }
    return own as RateLimitOptions
  }
  return limits.exemptPrefixes.some((prefix) => route.url.startsWith(prefix)) ? false : 'app'
}

/** Puts `hook` first in the route's own `name` hooks, in a new array (the caller may share its list). */
function prependHook(route: RouteOptions, name: NonNullable<RateLimitOptions['hook']>, hook: LimitCheck): void {
  const target = route as unknown as Record<string, unknown>
  const hooks = target[name]
  target[name] = [hook, ...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])]
}

/**
 * Registers `@fastify/rate-limit` for `app` and returns its checks. Its `app.rateLimit()` and
 * `app.createRateLimit()` decorators are still offered on `app`, bound to the same counters.
 */
export async function registerRequestLimits(
  app: FastifyInstance,
  limits: ResolvedRateLimit,
  counters: RedisCounters | undefined,
): Promise<RequestLimits> {
  const options: RateLimitPluginOptions = {
    global: false,
    max: limits.max,
    timeWindow: limits.timeWindow,
    skipOnError: limits.skipOnError,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) => rateLimitedError(context.ban ? 403 : 429, seconds(context.ttl)),
  }
  if (limits.keyGenerator !== undefined) options.keyGenerator = limits.keyGenerator
  if (limits.allowList !== undefined) {
    options.allowList = typeof limits.allowList === 'function' ? limits.allowList : [...limits.allowList]
  }
  if (counters !== undefined) {
    // Typed loosely by @fastify/rate-limit; the class implements its incr/read/child contract.
    options.store = redisRateLimitStore(counters, limits.nameSpace) as unknown as RateLimitPluginOptions['store']
  }
  let engine: FastifyInstance | undefined
  await app.register(async function keelRateLimitEngine(child) {
    await child.register(fastifyRateLimit, options)
    engine = child
  })
  const { rateLimit, createRateLimit } = engine as FastifyInstance
  app.decorate('rateLimit', rateLimit)
  app.decorate('createRateLimit', createRateLimit)

  const appCheck = rateLimit() as unknown as LimitCheck
  // A route with its own limit gets its own counters, keyed by method and URL like @fastify/rate-limit's.
  const routeCheck = (limit: RateLimitOptions, route: RouteOptions): LimitCheck => {
    const own: RateLimitOptions & { [kRouteKey]: string } = { ...limit, [kRouteKey]: `${route.method}${route.url}` }
    return rateLimit(own) as unknown as LimitCheck
  }
  return {
    limitRoute(route) {
      const limit = routeLimit(route, limits)
      if (limit === false) return
      if (limit === 'app') prependHook(route, 'onRequest', appCheck)
      else prependHook(route, limit.hook ?? 'onRequest', routeCheck(limit, route))
    },
    notFound: limits.notFound ? appCheck : undefined,
  }
}
