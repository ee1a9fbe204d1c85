import Fastify, { type FastifyContextConfig } from 'fastify'
import {
  type KeelCorsPolicy,
  type KeelFailureLimitOptions,
  type KeelRateLimitHook,
  type KeelRateLimitPolicy,
  type KeelRedisClient,
  type KeelRouteRateLimit,
  type KeelRouteSecurityConfig,
  type KeelSecurityOptions,
  keelSecurity,
  SECURITY_CONFIG_CODES,
  SECURITY_ERROR_CODES,
  type SecurityConfigCode,
  type SecurityErrorCode,
} from 'fastify-keel/security'
import type { Redis } from 'ioredis'
import { expectTypeOf } from 'vitest'

const app = Fastify()

// An ioredis client fits the structural Redis type.
declare const redis: Redis
expectTypeOf(redis).toExtend<KeelRedisClient>()

const options: KeelSecurityOptions = {
  cors: { origins: ['https://app.example.com'], credentials: true, maxAge: 600 },
  helmet: { strictTransportSecurity: { maxAge: 63072000 } },
  rateLimit: { max: 100, timeWindow: '1 minute', redis, skipOnError: false, keyGenerator: (request) => request.ip },
}
void app.register(keelSecurity, options)
void app.register(keelSecurity, { cors: false, helmet: false, rateLimit: false })
void app.register(keelSecurity, { cors: { origins: '*' } })
// Durations: milliseconds or a string in the one grammar.
void app.register(keelSecurity, {
  cors: { origins: '*', maxAge: '10 minutes' },
  rateLimit: { timeWindow: '15m', storeTimeout: '500ms', notFound: false, exemptPrefixes: ['/metrics'] },
})

// @ts-expect-error origins is a list of strings or '*', not a RegExp
void app.register(keelSecurity, { cors: { origins: /example\.com$/ } })
// @ts-expect-error max is a number
void app.register(keelSecurity, { rateLimit: { max: '100' } })

// Named policies, each with its key, algorithm, cost, block and hook; the header dialects.
const burst: KeelRateLimitPolicy = { name: 'burst', max: 10, timeWindow: '1 s', algorithm: 'sliding' }
void app.register(keelSecurity, {
  rateLimit: {
    policies: [
      burst,
      { name: 'hourly', max: 1000, timeWindow: '1 hour', blockDuration: '15 minutes' },
      {
        name: 'per-user',
        max: 100,
        hook: 'preHandler',
        keyGenerator: (request) => request.headers['x-user'] as string,
      },
      { name: 'weighted', max: 100, cost: (request) => (request.method === 'POST' ? 5 : 1), skipOnError: false },
    ],
    headers: ['draft-ietf-11', 'legacy'],
  },
})
void app.register(keelSecurity, { rateLimit: { headers: false, algorithm: 'sliding', keyGenerator: () => undefined } })
// @ts-expect-error the dialects are 'draft-ietf-11' and 'legacy'
void app.register(keelSecurity, { rateLimit: { headers: 'draft-7' } })
// @ts-expect-error the algorithms are 'fixed' and 'sliding'
const gcra: KeelRateLimitPolicy = { algorithm: 'gcra' }
void gcra

// Route config: keel's own security settings, and @fastify/rate-limit's opt-out signal.
const failureLimit: KeelFailureLimitOptions = {
  name: 'login-failures',
  max: 5,
  timeWindow: '15 minutes',
  keyGenerator: (request) => request.ip,
}
app.post('/login', { config: { security: { rateLimit: { max: 5 }, failureLimit } } }, async () => 'ok')
const routeLimits: KeelRouteRateLimit = [
  'default',
  { name: 'exports', max: 5, timeWindow: '1 hour', groupId: 'exports' },
]
app.get('/export', { config: { security: { rateLimit: routeLimits } } }, async () => 'ok')
// @ts-expect-error a route policy list holds policies and app policy names
const badLimits: KeelRouteRateLimit = [5]
void badLimits
app.get('/docs', { config: { security: { helmet: { contentSecurityPolicy: false } } } }, async () => 'docs')
app.get('/raw', { config: { rateLimit: false, security: { helmet: false } } }, async () => 'raw')
// Fastify infers route config generics, so misuse is caught on the exported route config type.
// @ts-expect-error helmet is false or helmet options
const bad: KeelRouteSecurityConfig = { helmet: 'off' }
void bad
expectTypeOf<FastifyContextConfig['security']>().toEqualTypeOf<KeelRouteSecurityConfig | undefined>()

// The registries: one status per response code, when/fix per config code.
expectTypeOf(SECURITY_ERROR_CODES.RATE_LIMITED.status).toEqualTypeOf<429>()
expectTypeOf<SecurityErrorCode>().toEqualTypeOf<'RATE_LIMITED' | 'RATE_LIMIT_UNAVAILABLE'>()
expectTypeOf(SECURITY_CONFIG_CODES.KEEL_ERR_SECURITY_ROUTE_CONFIG.fix).toBeString()
expectTypeOf<SecurityConfigCode>().toExtend<`KEEL_ERR_SECURITY_${string}`>()
// @ts-expect-error the registries are frozen
SECURITY_ERROR_CODES.RATE_LIMITED = { status: 400, when: '' }

// A check for a hook of your own.
expectTypeOf(app.rateLimitHook({ name: 'search', max: 10 })).toEqualTypeOf<KeelRateLimitHook>()
app.get('/custom', { config: { security: { rateLimit: false } }, preHandler: app.rateLimitHook() }, async () => 'ok')
app.get('/search', { onRequest: app.rateLimitHook(['default', { name: 'search', max: 10 }]) }, async () => 'ok')

// The typed contract other plugins read.
expectTypeOf(app.corsPolicy).toEqualTypeOf<KeelCorsPolicy>()
expectTypeOf(app.corsPolicy.origins).toEqualTypeOf<ReadonlySet<string> | '*'>()
