import Fastify, { type FastifyContextConfig } from 'fastify'
import {
  type KeelFailureLimitOptions,
  type KeelRedisClient,
  type KeelRouteSecurityConfig,
  type KeelSecurityOptions,
  keelSecurity,
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

// @ts-expect-error origins is a list of strings or '*', not a RegExp
void app.register(keelSecurity, { cors: { origins: /example\.com$/ } })
// @ts-expect-error max is a number
void app.register(keelSecurity, { rateLimit: { max: '100' } })

// Route config: keel's own security settings and @fastify/rate-limit's.
const failureLimit: KeelFailureLimitOptions = {
  max: 5,
  timeWindow: '15 minutes',
  keyGenerator: (request) => request.ip,
}
app.post('/login', { config: { rateLimit: { max: 5 }, security: { failureLimit } } }, async () => 'ok')
app.get('/docs', { config: { security: { helmet: { contentSecurityPolicy: false } } } }, async () => 'docs')
app.get('/raw', { config: { rateLimit: false, security: { helmet: false } } }, async () => 'raw')
// Fastify infers route config generics, so misuse is caught on the exported route config type.
// @ts-expect-error helmet is false or helmet options
const bad: KeelRouteSecurityConfig = { helmet: 'off' }
void bad
expectTypeOf<FastifyContextConfig['security']>().toEqualTypeOf<KeelRouteSecurityConfig | undefined>()
