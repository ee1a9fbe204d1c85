import fastifyCors from '@fastify/cors'
import fastifyRateLimit, { normalizeIP, type RateLimitPluginOptions } from '@fastify/rate-limit'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestAsyncHookHandler,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import type { HelmetOptions } from 'helmet'
import { HttpError } from '../errors/index.js'
import { describeValue, KeelConfigError } from '../internal/config-error.js'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { computeSecurityHeaders, keelHelmetDefaults, mergeHelmetOptions } from './headers.js'
import {
  type KeelSecurityOptions,
  type ResolvedCors,
  type ResolvedFailureLimit,
  type ResolvedRateLimit,
  resolveFailureLimit,
  resolveOptions,
} from './options.js'
import {
  type FailureStore,
  memoryFailureStore,
  RedisCounters,
  redisFailureStore,
  redisRateLimitStore,
} from './stores.js'

const kRegistered = Symbol.for('fastify-keel.security')
const kFailureKey = Symbol('fastify-keel.security.failureKey')

type FailureRequest = FastifyRequest & { [kFailureKey]: string | null }

const noStore = 'no-store'

function alreadyRegistered(what: string): KeelConfigError {
  return new KeelConfigError(
    'KEEL_ERR_SECURITY_ALREADY_REGISTERED',
    `keelSecurity: ${what} is already registered in this app; register keelSecurity once and let it register ` +
      '@fastify/cors and @fastify/rate-limit (turn a part off with cors: false / rateLimit: false)',
  )
}

function routeName(route: RouteOptions): string {
  return `${Array.isArray(route.method) ? route.method.join(',') : route.method} ${route.url}`
}

function computeHeaders(options: HelmetOptions, where: string): Record<string, string> {
  try {
    return computeSecurityHeaders(options, where)
  } catch (error) {
    if (error instanceof KeelConfigError) throw error
    throw new KeelConfigError(
      'KEEL_ERR_SECURITY_INVALID_OPTION',
      `keelSecurity: ${where} helmet options are invalid: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}

function rateLimitedError(status: 429 | 403, ttlMs: number, max: number | undefined): HttpError {
  const seconds = String(Math.max(0, Math.ceil(ttlMs / 1000)))
  const headers: Record<string, string> = { 'retry-after': seconds }
  if (max !== undefined) {
    headers['ratelimit-limit'] = String(max)
    headers['ratelimit-remaining'] = '0'
    headers['ratelimit-reset'] = seconds
  }
  return status === 403
    ? new HttpError(403, 'Too many requests; access is blocked for now', { code: 'RATE_LIMIT_BANNED', headers })
    : new HttpError(429, `Too many requests; retry in ${seconds} seconds`, { code: 'RATE_LIMITED', headers })
}

async function registerCors(app: FastifyInstance, cors: ResolvedCors): Promise<void> {
  const allowed = cors.origins
  await app.register(fastifyCors, {
    origin:
      allowed === '*'
        ? '*'
        : // A function makes @fastify/cors echo only exact matches and always add `Vary: Origin`; any other
          // origin (or none) gets no CORS headers at all, and its preflight falls through to a 404.
          (origin: string | undefined, callback: (error: Error | null, origin: string | false) => void) => {
            callback(null, origin !== undefined && allowed.has(origin) ? origin : false)
          },
    credentials: cors.credentials,
    methods: [...cors.methods],
    allowedHeaders: [...cors.allowedHeaders],
    exposedHeaders: [...cors.exposedHeaders],
    maxAge: cors.maxAge,
    strictPreflight: true,
  })
}

async function registerRateLimit(
  app: FastifyInstance,
  rateLimit: ResolvedRateLimit,
  counters: RedisCounters | undefined,
) {
  const options: RateLimitPluginOptions = {
    global: true,
    max: rateLimit.max,
    timeWindow: rateLimit.timeWindow,
    skipOnError: rateLimit.skipOnError,
    enableDraftSpec: true,
    errorResponseBuilder: (_request, context) =>
      rateLimitedError(context.ban ? 403 : 429, context.ttl, typeof context.max === 'number' ? context.max : undefined),
  }
  if (rateLimit.keyGenerator !== undefined) options.keyGenerator = rateLimit.keyGenerator
  if (rateLimit.allowList !== undefined) {
    options.allowList = typeof rateLimit.allowList === 'function' ? rateLimit.allowList : [...rateLimit.allowList]
  }
  if (counters !== undefined) {
    // Typed loosely by @fastify/rate-limit; the class implements its incr/read/child contract.
    options.store = redisRateLimitStore(counters, rateLimit.nameSpace) as unknown as RateLimitPluginOptions['store']
  }
  await app.register(fastifyRateLimit, options)
}

function failureLimitHooks(limit: ResolvedFailureLimit, store: FailureStore, prefix: string, skipOnError: boolean) {
  // The attempt is taken (counted) before the handler runs, atomically in the store, so parallel attempts
  // cannot all pass a check that only reads; it is given back in onSend when the response is not a failure.
  const check = async function keelFailureLimitCheck(request: FastifyRequest) {
    const key =
      prefix + (limit.keyGenerator === undefined ? normalizeIP(request.ip) : await limit.keyGenerator(request))
    let state: { current: number; ttl: number }
    try {
      state = await store.take(key, limit.timeWindow)
    } catch (error) {
      if (skipOnError) return
      throw error
    }
    if (state.current > limit.max) {
      // A refused attempt is no failure of its own: give it back, so a burst does not stretch the lockout.
      // A store error is already logged (once per interval) by the store.
      await store.giveBack(key).catch(() => undefined)
      throw rateLimitedError(429, state.ttl, undefined)
    }
    ;(request as FailureRequest)[kFailureKey] = key
  }
  const settle = async function keelFailureLimitSettle(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const key = (request as FailureRequest)[kFailureKey]
    if (key !== null) {
      ;(request as FailureRequest)[kFailureKey] = null
      // A failure keeps the attempt it took; anything else gives it back, so successes never lock a user out.
      if (!limit.isFailure(reply.statusCode)) await store.giveBack(key).catch(() => undefined)
    }
    return payload
  }
  return { check, settle }
}

function appendHook(route: RouteOptions, name: 'onRequest' | 'preHandler' | 'onSend', hook: unknown): void {
  const target = route as unknown as Record<string, unknown>
  const existing = target[name]
  target[name] = existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook]
}

const plugin: FastifyPluginAsync<KeelSecurityOptions> = async (app, opts) => {
  if (app.hasDecorator(kRegistered)) throw alreadyRegistered('keelSecurity')
  const config = resolveOptions(opts)
  if (config.cors !== false && config.cors.origins !== '*' && config.cors.origins.size === 0) {
    // no origin allowed: nothing for @fastify/cors to do, and preflights 404 without it
  } else if (config.cors !== false && app.hasRequestDecorator('corsPreflightEnabled')) {
    throw alreadyRegistered('@fastify/cors')
  }
  if (config.rateLimit !== false && app.hasDecorator('createRateLimit')) throw alreadyRegistered('@fastify/rate-limit')
  app.decorate(kRegistered, true)
  app.decorateRequest(kFailureKey, null)

  const appHelmet = config.helmet === false ? false : mergeHelmetOptions(keelHelmetDefaults, config.helmet)
  const appHeaders: Record<string, string> =
    appHelmet === false
      ? { 'cache-control': noStore }
      : { ...computeHeaders(appHelmet, 'option "helmet":'), 'cache-control': noStore }

  // Behind a proxy without trustProxy, request.ip is the proxy's address: one warning, checked on the first
  // request that carries x-forwarded-for, then never again.
  let proxyCheckPending = true
  const checkProxy = (request: FastifyRequest) => {
    proxyCheckPending = false
    if (request.ips === undefined) {
      app.log.warn(
        { code: 'KEEL_SECURITY_TRUST_PROXY_OFF' },
        "keelSecurity: requests carry x-forwarded-for but trustProxy is off, so rate limits key on the proxy address; set Fastify's trustProxy option (see docs/security.md)",
      )
    }
  }
  // Callback style on purpose, on the hot path: an async hook costs a promise and a microtask per request,
  // and every promise also runs the async-context hooks that getRequestId() relies on.
  app.addHook(
    'onRequest',
    function keelSecurityHeaders(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      reply.headers(appHeaders)
      if (proxyCheckPending && request.headers['x-forwarded-for'] !== undefined) checkProxy(request)
      done()
    },
  )

  const rateLimit = config.rateLimit
  const counters =
    rateLimit !== false && rateLimit.redis !== undefined
      ? new RedisCounters(rateLimit.redis, rateLimit.storeTimeout, app.log)
      : undefined
  let failureStore: FailureStore | undefined
  const failureNameSpace = `${rateLimit === false ? 'keel-rate-limit:' : rateLimit.nameSpace}failures:`

  app.addHook('onRoute', function keelSecurityRoute(route) {
    const routeConfig = (route.config ?? {}) as Record<string, unknown>
    if (
      rateLimit !== false &&
      routeConfig.rateLimit === undefined &&
      rateLimit.exemptPrefixes.some((prefix) => route.url.startsWith(prefix))
    ) {
      route.config = { ...routeConfig, rateLimit: false } as typeof route.config
    }
    const security = routeConfig.security
    if (security === undefined) return
    const where = `route ${routeName(route)}:`
    if (typeof security !== 'object' || security === null || Array.isArray(security)) {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_ROUTE_CONFIG',
        `keelSecurity: ${where} config.security must be an object, got ${describeValue(security)}`,
      )
    }
    const { helmet: routeHelmet, failureLimit, ...unknown } = security as Record<string, unknown>
    const unknownKey = Object.keys(unknown)[0]
    if (unknownKey !== undefined) {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_ROUTE_CONFIG',
        `keelSecurity: ${where} unknown option "config.security.${unknownKey}"; known options are helmet, failureLimit`,
      )
    }
    if (routeHelmet !== undefined) {
      if (routeHelmet !== false && (typeof routeHelmet !== 'object' || routeHelmet === null)) {
        throw new KeelConfigError(
          'KEEL_ERR_SECURITY_ROUTE_CONFIG',
          `keelSecurity: ${where} config.security.helmet must be false or helmet options, got ${describeValue(routeHelmet)}`,
        )
      }
      const routeHeaders =
        routeHelmet === false
          ? { 'cache-control': noStore }
          : {
              ...computeHeaders(
                mergeHelmetOptions(appHelmet === false ? {} : appHelmet, routeHelmet as HelmetOptions),
                where,
              ),
              'cache-control': noStore,
            }
      const dropped = Object.keys(appHeaders).filter((name) => !(name in routeHeaders))
      const applyRouteHeaders: onRequestAsyncHookHandler = async function keelRouteSecurityHeaders(_request, reply) {
        for (const name of dropped) reply.removeHeader(name)
        reply.headers(routeHeaders)
      }
      appendHook(route, 'onRequest', applyRouteHeaders)
    }
    if (failureLimit !== undefined) {
      const limit = resolveFailureLimit(routeName(route), failureLimit)
      failureStore ??= counters === undefined ? memoryFailureStore() : redisFailureStore(counters)
      const prefix = `${failureNameSpace}${routeName(route)}:`
      const hooks = failureLimitHooks(limit, failureStore, prefix, rateLimit === false || rateLimit.skipOnError)
      appendHook(route, 'preHandler', hooks.check)
      appendHook(route, 'onSend', hooks.settle)
    }
  })

  if (config.cors !== false && (config.cors.origins === '*' || config.cors.origins.size > 0)) {
    await registerCors(app, config.cors)
  }
  if (rateLimit !== false) {
    // @fastify/rate-limit appends its check to a route's own onRequest hooks, so a route-level hook that
    // rejects (`onRequest: [app.authenticate]` answering 401) would end the request before it is counted,
    // and tokens could be guessed unthrottled. The hooks around its registration move that check to the front:
    // every onRoute hook of this instance runs in order, so whatever the onRequest list gained between the two
    // is exactly the check @fastify/rate-limit added (config.rateLimit and its store child stay its own).
    const lengthBefore = new WeakMap<RouteOptions, number>()
    app.addHook('onRoute', function keelRateLimitBefore(route) {
      const hooks = route.onRequest
      // A copy, so the check is not pushed into an array the caller may share between routes.
      const copy = hooks === undefined ? [] : Array.isArray(hooks) ? [...hooks] : [hooks]
      route.onRequest = copy as RouteOptions['onRequest']
      lengthBefore.set(route, copy.length)
    })
    await registerRateLimit(app, rateLimit, counters)
    app.addHook('onRoute', function keelRateLimitFirst(route) {
      const hooks = route.onRequest
      const before = lengthBefore.get(route)
      lengthBefore.delete(route)
      if (before === undefined || before === 0 || !Array.isArray(hooks) || hooks.length !== before + 1) return
      route.onRequest = [hooks[before], ...hooks.slice(0, before)] as RouteOptions['onRequest']
    })
  }
}

/**
 * CORS, security headers for a JSON API and rate limits (in memory, or shared through Redis) in one
 * register call. Await it before declaring routes: its route hooks only see routes added afterwards.
 *
 * @example
 * import { keelSecurity } from 'fastify-keel/security'
 * await app.register(keelSecurity, {
 *   cors: { origins: ['https://app.example.com'], credentials: true },
 *   rateLimit: { max: 100, timeWindow: '1 minute', redis },
 * })
 * @see docs/security.md
 */
export const keelSecurity = fp(plugin, { name: 'fastify-keel-security', fastify: FASTIFY_VERSIONS })
export default keelSecurity
