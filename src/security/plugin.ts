import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { allowsAnyOrigin, corsPolicyOf, registerCors } from './cors.js'
import { failureLimitHooks, kFailureFallback, kFailureKey } from './failure-limit.js'
import { type FailureStore, memoryFailureStore, RedisCounters, redisFailureStore } from './failure-stores.js'
import { keelHelmetDefaults, mergeHelmetOptions, responseHeaders, routeHeadersHook } from './headers.js'
import type { LimitHook } from './limiter.js'
import { type KeelSecurityOptions, type ResolvedSecurity, resolveOptions } from './options.js'
import type { ResolvedPolicy } from './policy-options.js'
import { type RequestLimits, registerRequestLimits } from './rate-limit.js'
import type { ResolvedRateLimit } from './rate-limit-options.js'
import { read } from './readers.js'
import { RedisRunner } from './redis-runner.js'
import { onRoute, resolveRouteSecurity, routeName, routeRead } from './route-config.js'
import type { KeelRouteLimit, KeelRouteLimits } from './route-limits.js'
import { trustProxyCheck } from './trust-proxy.js'

const kRegistered = Symbol.for('fastify-keel.security')

function assertFirstRegistration(app: FastifyInstance, config: ResolvedSecurity): void {
  const already =
    (app.hasDecorator(kRegistered) && 'keelSecurity') ||
    (allowsAnyOrigin(config.cors) && app.hasRequestDecorator('corsPreflightEnabled') && '@fastify/cors') ||
    (config.rateLimit !== false && app.hasDecorator('createRateLimit') && '@fastify/rate-limit')
  if (already !== false) {
    throw read.misuse(
      'KEEL_ERR_SECURITY_ALREADY_REGISTERED',
      `${already} is already registered in this app`,
      'register keelSecurity once and let it register @fastify/cors and limit requests (turn a part off with cors: false / rateLimit: false)',
    )
  }
}

/** Failure counts: in Redis when the limits use it (in memory while it is down, unless failing closed). */
function failureStore(rateLimit: ResolvedRateLimit | false, counters: RedisCounters | undefined, app: FastifyInstance) {
  const memory = memoryFailureStore()
  if (counters === undefined) return memory
  return redisFailureStore(counters, app.log, rateLimit !== false && rateLimit.skipOnError ? memory : undefined)
}

/** Puts the route's rate-limit checks in place; a route policy while rate limiting is off is a mistake. */
function limitRoute(
  limits: RequestLimits | undefined,
  route: RouteOptions,
  own: unknown,
): readonly ResolvedPolicy[] | undefined {
  if (limits !== undefined) {
    return limits.limitRoute(route, own)
  }
  if (own !== undefined && own !== false) {
    throw routeRead.error(
      'config.security.rateLimit',
      'needs rate limiting, which is off (rateLimit: false)',
      own,
      'pass rateLimit options to keelSecurity, or drop the route policy',
    )
  }
  return undefined
}

/** `app.routeLimits`: each route's limits, as decided in its `onRoute` hook. */
function routeLimitsOf(headers: KeelRouteLimits['headers'], redis: boolean) {
  const byRoute = new WeakMap<RouteOptions, KeelRouteLimit>()
  const contract: KeelRouteLimits = Object.freeze({
    headers: Object.freeze({ draft: headers.draft, legacy: headers.legacy }),
    routeLimit: (route: RouteOptions) => byRoute.get(route) ?? null,
  })
  function record(route: RouteOptions, policies: readonly ResolvedPolicy[] | undefined, failureLimited: boolean) {
    const rateLimited = policies !== undefined && policies.length > 0
    if (!rateLimited && !failureLimited) return
    const storeOutage = redis && (policies ?? []).some((policy) => !policy.skipOnError)
    byRoute.set(route, Object.freeze({ rateLimited, failureLimited, storeOutage }))
  }
  return { contract, record }
}

function appendHook(route: RouteOptions, name: 'onRequest' | 'preHandler' | 'onSend', hook: unknown): void {
  const target = route as unknown as Record<string, unknown>
  const existing = target[name]
  target[name] = existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook]
}

const plugin: FastifyPluginAsync<KeelSecurityOptions> = async (app, opts) => {
  const config = resolveOptions(opts)
  assertFirstRegistration(app, config)
  app.decorate(kRegistered, true)
  app.decorate('corsPolicy', corsPolicyOf(config.cors))
  app.decorateRequest(kFailureKey, null)
  app.decorateRequest(kFailureFallback, false)

  const appHelmet = config.helmet === false ? false : mergeHelmetOptions(keelHelmetDefaults, config.helmet)
  const appHeaders = responseHeaders(appHelmet, 'helmet', read)
  const rateLimit = config.rateLimit
  const runner =
    rateLimit !== false && rateLimit.redis !== undefined
      ? new RedisRunner(rateLimit.redis, rateLimit.storeTimeout, app.log)
      : undefined
  const failures: FailureStore = failureStore(rateLimit, runner && new RedisCounters(runner), app)
  const failureNameSpace = `${rateLimit === false ? 'keel-rate-limit:' : rateLimit.nameSpace}failures:`
  const headerModes = rateLimit === false ? { draft: true, legacy: false } : rateLimit.headers
  const routeLimits = routeLimitsOf(headerModes, runner !== undefined)
  app.decorate('routeLimits', routeLimits.contract)

  // Callback style on purpose, on the hot path: an async hook costs a promise and a microtask per request,
  // and every promise also runs the async-context hooks that getRequestId() relies on.
  let proxyCheckPending = true
  const checkProxy = trustProxyCheck(app.log)
  app.addHook('onRequest', function keelSecurityHeaders(request, reply, done) {
    reply.headers(appHeaders)
    if (proxyCheckPending) proxyCheckPending = checkProxy(request)
    done()
  })

  // @fastify/cors answers preflights in its own hook, after the headers above; its OPTIONS route is declared
  // before the route hook below, so preflights are not rate limited.
  if (allowsAnyOrigin(config.cors)) await registerCors(app, config.cors)
  const limits = rateLimit === false ? undefined : registerRequestLimits(app, rateLimit, runner)
  if (limits?.notFound !== undefined) app.addHook('onRequest', notFoundLimitHook(limits.notFound))

  app.addHook('onRoute', function keelSecurityRoute(route) {
    const name = routeName(route)
    onRoute(name, () => {
      const security = resolveRouteSecurity((route.config as { security?: unknown } | undefined)?.security)
      const policies = limitRoute(limits, route, security?.rateLimit)
      routeLimits.record(route, policies, security?.failureLimit !== undefined)
      if (security?.helmet !== undefined) {
        appendHook(route, 'onRequest', routeHeadersHook(appHelmet, appHeaders, security.helmet, routeRead))
      }
      if (security?.failureLimit !== undefined) {
        const prefix = `${failureNameSpace}${name}:`
        const hooks = failureLimitHooks(security.failureLimit, failures, prefix, headerModes)
        appendHook(route, 'preHandler', hooks.check)
        appendHook(route, 'onSend', hooks.settle)
      }
    })
  })
}

/**
 * Counts requests that match no route against the app's `onRequest` policies. Added after @fastify/cors's hook, so
 * a 429 here still carries the CORS headers a browser needs to read it; for routes this hook only reads `is404`.
 */
function notFoundLimitHook(check: LimitHook) {
  return function keelNotFoundLimit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (request.is404) check(request, reply, done)
    else done()
  }
}

/**
 * CORS, security headers for a JSON API and rate limits (named policies in memory, or shared through Redis) in one
 * register call. Await it before declaring routes: its route hooks only see routes added afterwards.
 *
 * @example
 * import { keelSecurity } from 'fastify-keel/security'
 * await app.register(keelSecurity, {
 *   cors: { origins: ['https://app.example.com'], credentials: true },
 *   rateLimit: { policies: [{ name: 'burst', max: 10, timeWindow: '1 s' }, { name: 'hourly', max: 1000, timeWindow: '1 h' }], redis },
 * })
 * @see docs/security.md
 */
export const keelSecurity = fp(plugin, { name: 'fastify-keel-security', fastify: FASTIFY_VERSIONS })
export default keelSecurity
