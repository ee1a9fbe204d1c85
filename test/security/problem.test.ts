import Fastify, { type FastifyInstance } from 'fastify'
import { HttpError, keelErrors } from 'fastify-keel/errors'
import { keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'
import { fieldsByName } from './fields.js'

const QUOTA_EXCEEDED = 'https://iana.org/assignments/http-problem-types#quota-exceeded'

const apps: FastifyInstance[] = []

async function build() {
  const app = Fastify()
  apps.push(app)
  await app.register(keelErrors)
  await app.register(keelSecurity, { rateLimit: { max: 1 } })
  app.get('/items', async () => ({ items: [] }))
  app.get('/conflict', { config: { security: { rateLimit: false } } }, async () => {
    throw new HttpError(409, 'Already exists', { code: 'ALREADY_EXISTS' })
  })
  app.post(
    '/login',
    { config: { security: { rateLimit: false, failureLimit: { max: 1 } } } },
    async (_request, reply) => reply.code(401).send({ ok: false }),
  )
  return app
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('with keelErrors', () => {
    it('should answer a limited request with a 429 problem document and its headers', async () => {
      const app = await build()
      await app.inject('/items')
      const res = await app.inject('/items')
      expect(res.statusCode).toBe(429)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json()).toMatchObject({
        type: QUOTA_EXCEEDED,
        status: 429,
        title: 'Too Many Requests',
        code: 'RATE_LIMITED',
        'violated-policies': ['default'],
      })
      expect(res.headers['retry-after']).toBe('60')
      expect(fieldsByName(res.headers)).toEqual({
        policy: { default: { q: 1, w: 60 } },
        limit: { default: { r: 0, t: 60 } },
      })
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['cache-control']).toBe('no-store')
    })

    it('should answer a blocked login with a 429 problem document', async () => {
      const app = await build()
      await app.inject({ method: 'POST', url: '/login', payload: {} })
      const res = await app.inject({ method: 'POST', url: '/login', payload: {} })
      expect(res.statusCode).toBe(429)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json()).toMatchObject({ type: QUOTA_EXCEEDED, status: 429, code: 'RATE_LIMITED' })
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    })

    it('should keep the quota-exceeded type when keelErrors derives types from a base URI', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelErrors, { typeBaseUri: 'https://errors.example.com' })
      await app.register(keelSecurity, { rateLimit: { max: 1 } })
      app.get('/items', async () => ({ items: [] }))
      await app.inject('/items')
      expect((await app.inject('/items')).json()).toMatchObject({ type: QUOTA_EXCEEDED })
      expect((await app.inject('/missing-route')).json()).toMatchObject({ type: QUOTA_EXCEEDED })
    })

    it("should send the failure limit's headers with its 429 problem document, not the app-wide limit's", async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelErrors)
      await app.register(keelSecurity, { rateLimit: { max: 10_000, headers: ['draft-ietf-11', 'legacy'] } })
      app.post(
        '/login',
        { config: { security: { failureLimit: { name: 'login-failures', max: 1 } } } },
        async (_request, reply) => reply.code(401).send({ ok: false }),
      )
      await app.inject({ method: 'POST', url: '/login', payload: {} })
      const res = await app.inject({ method: 'POST', url: '/login', payload: {} })
      expect(res.statusCode).toBe(429)
      expect(res.json()).toMatchObject({
        type: QUOTA_EXCEEDED,
        status: 429,
        code: 'RATE_LIMITED',
        'violated-policies': ['login-failures'],
      })
      const retryAfter = Number(res.headers['retry-after'])
      expect(fieldsByName(res.headers)).toEqual({
        policy: { 'login-failures': { q: 1, w: 900 } },
        limit: { 'login-failures': { r: 0, t: retryAfter } },
      })
      expect(res.headers['ratelimit-limit']).toBe('1')
      expect(res.headers['ratelimit-remaining']).toBe('0')
      expect(res.headers['ratelimit-reset']).toBe(res.headers['retry-after'])
    })

    it.each([
      ['a 404 problem document', '/missing', 404],
      ['a thrown HttpError', '/conflict', 409],
    ])('should keep the security headers on %s', async (_name, url, status) => {
      const app = await build()
      const res = await app.inject(url)
      expect(res.statusCode).toBe(status)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['cache-control']).toBe('no-store')
    })
  })
})
