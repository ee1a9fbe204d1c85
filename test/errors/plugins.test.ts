// The official plugins raise their own errors (statusCode + FST_* code, or a bare statusCode). These tests
// install the real plugins from node_modules and check each error becomes a problem document with a
// readable code, its status kept, and the headers those plugins set kept.
import cors from '@fastify/cors'
import jwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const SECRET = 'a-test-secret-that-is-long-enough-1234'

async function jwtApp(options: { trusted?: () => boolean } = {}): Promise<FastifyInstance> {
  app = Fastify()
  await app.register(keelErrors)
  await app.register(jwt, { secret: SECRET, ...(options.trusted ? { trusted: options.trusted } : {}) })
  app.get('/me', {
    onRequest: async (request, reply) => {
      reply.header('www-authenticate', 'Bearer realm="api"')
      await request.jwtVerify()
    },
    handler: async (request) => ({ user: request.user }),
  })
  await app.ready()
  return app
}

describe('errors', () => {
  describe('@fastify/jwt', () => {
    it('should map a missing token to 401 TOKEN_MISSING and keep WWW-Authenticate', async () => {
      const app = await jwtApp()
      const res = await app.inject('/me')
      expectProblem(res, 401, 'TOKEN_MISSING')
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    })

    it('should map an expired token to 401 TOKEN_EXPIRED', async () => {
      const app = await jwtApp()
      const token = app.jwt.sign({ sub: 'u1', exp: Math.floor(Date.now() / 1000) - 60 })
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
      expectProblem(res, 401, 'TOKEN_EXPIRED')
    })

    it('should map a token with a bad signature to 401 TOKEN_INVALID', async () => {
      const app = await jwtApp()
      const token = app.jwt.sign({ sub: 'u1' })
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } })
      expectProblem(res, 401, 'TOKEN_INVALID')
    })

    it('should map an untrusted token to 401 TOKEN_INVALID', async () => {
      const app = await jwtApp({ trusted: () => false })
      const token = app.jwt.sign({ sub: 'u1' })
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
      expectProblem(res, 401, 'TOKEN_INVALID')
    })

    it('should map a malformed Authorization header to TOKEN_INVALID with its one status, 401', async () => {
      const app = await jwtApp()
      const res = await app.inject({ url: '/me', headers: { authorization: 'Bearer two parts' } })
      expectProblem(res, 401, 'TOKEN_INVALID')
    })

    it('should let a valid token through', async () => {
      const app = await jwtApp()
      const token = app.jwt.sign({ sub: 'u1' })
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
      expect(res.statusCode).toBe(200)
    })
  })

  describe('@fastify/rate-limit', () => {
    it('should map its 429 to RATE_LIMITED and keep Retry-After and the rate-limit headers', async () => {
      app = Fastify()
      await app.register(keelErrors)
      await app.register(rateLimit, { max: 1, timeWindow: 60_000 })
      app.get('/', async () => 'ok')
      expect((await app.inject('/')).statusCode).toBe(200)
      const res = await app.inject('/')
      const body = expectProblem(res, 429, 'RATE_LIMITED')
      // Its error is a plain Error with a statusCode and no code: nothing marks it as safe to show, so the
      // detail is the status title; Retry-After says when to come back.
      expect(body.detail).toBe('Too Many Requests')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.headers['x-ratelimit-limit']).toBe('1')
      expect(res.headers['x-ratelimit-remaining']).toBe('0')
    })
  })

  describe('@fastify/under-pressure', () => {
    async function overloaded(): Promise<FastifyInstance> {
      app = Fastify()
      await app.register(keelErrors)
      // A failing external health check puts the app under pressure from the first request, with no timers.
      await app.register(underPressure, {
        healthCheck: async () => false,
        healthCheckInterval: 60_000,
        exposeStatusRoute: true,
        retryAfter: 7,
      })
      app.get('/', async () => 'ok')
      return app
    }

    it('should map its 503 to SERVICE_OVERLOADED and keep Retry-After', async () => {
      const app = await overloaded()
      const res = await app.inject('/')
      const body = expectProblem(res, 503, 'SERVICE_OVERLOADED')
      expect(body.detail).toBe('Service Unavailable')
      expect(res.headers['retry-after']).toBe('7')
    })

    it('should not let its 503 response schema strip the problem document', async () => {
      const app = await overloaded()
      const res = await app.inject('/status')
      const body = expectProblem(res, 503, 'SERVICE_OVERLOADED')
      expect(body.instance).toBe('/status')
    })
  })

  describe('@fastify/cors', () => {
    it('should render an origin-check error that carries a status as a problem document', async () => {
      app = Fastify()
      await app.register(keelErrors)
      await app.register(cors, {
        origin: (origin, callback) => {
          if (origin === 'https://app.example.com') callback(null, true)
          else callback(Object.assign(new Error('Origin not allowed'), { statusCode: 403 }), false)
        },
      })
      app.get('/', async () => 'ok')
      const res = await app.inject({ url: '/', headers: { origin: 'https://evil.example.com' } })
      expectProblem(res, 403, 'FORBIDDEN')
      const ok = await app.inject({ url: '/', headers: { origin: 'https://app.example.com' } })
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com')
    })

    it('should answer 500 with a generic detail for its own configuration errors', async () => {
      app = Fastify()
      await app.register(keelErrors)
      await app.register(cors, { origin: (_origin, callback) => callback(null, '' as never) })
      app.get('/', async () => 'ok')
      const res = await app.inject({ url: '/', headers: { origin: 'https://a.example.com' } })
      const body = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      expect(body.detail).toBe('Internal Server Error')
    })
  })
})
