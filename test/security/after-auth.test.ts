// Per-user limits after authentication, next to the pre-auth IP limit that throttles token guessing: both apply
// to every authenticated request, in that order, with fastify-keel/auth's `authenticate`.
import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'
import { fieldsByName, rateLimitFields } from './fields.js'

const apps: FastifyInstance[] = []

async function build() {
  const app = Fastify()
  apps.push(app)
  await app.register(keelErrors)
  await app.register(keelSecurity, {
    rateLimit: {
      policies: [
        { name: 'per-ip', max: 5 },
        { name: 'per-user', max: 3, hook: 'preHandler', keyGenerator: (request) => request.user?.sub },
      ],
    },
  })
  await app.register(keelAuth, {
    secret: 'a-test-secret-of-at-least-32-characters',
    issuer: 'https://api.test',
    audience: 'test-api',
  })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
  app.get('/public', async () => 'public')
  await app.ready()
  return app
}

async function bearer(app: FastifyInstance, sub: string): Promise<Record<string, string>> {
  const { accessToken } = await app.tokens.issue({ sub, roles: [] })
  return { authorization: `Bearer ${accessToken}` }
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('limits after authentication', () => {
    it('should throttle token guessing by IP before authenticate runs', async () => {
      const app = await build()
      const guess = () => app.inject({ url: '/me', headers: { authorization: 'Bearer not.a.token' } })
      for (let i = 0; i < 5; i++) {
        const res = await guess()
        expect(res.statusCode).toBe(401)
        // The per-user policy never saw the request: authenticate refused it first.
        expect(fieldsByName(res.headers).policy).toEqual({ 'per-ip': { q: 5, w: 60 } })
      }
      const refused = await guess()
      expect(refused.statusCode).toBe(429)
      expect(refused.json()).toMatchObject({ 'violated-policies': ['per-ip'] })
    })

    it('should count a signed-in user under both policies, the IP one first', async () => {
      const app = await build()
      const res = await app.inject({ url: '/me', headers: await bearer(app, 'ada') })
      expect(res.statusCode).toBe(200)
      expect(rateLimitFields(res.headers)).toEqual({
        policy: [
          { name: 'per-ip', params: { q: 5, w: 60 } },
          { name: 'per-user', params: { q: 3, w: 60 } },
        ],
        limit: [
          { name: 'per-ip', params: { r: 4, t: 60 } },
          { name: 'per-user', params: { r: 2, t: 60 } },
        ],
      })
    })

    it('should limit a user across IPs by the per-user policy, and no other user', async () => {
      const app = await build()
      const ada = await bearer(app, 'ada')
      const call = (remoteAddress: string, headers: Record<string, string>) =>
        app.inject({ url: '/me', remoteAddress, headers })
      for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect((await call(ip, ada)).statusCode).toBe(200)
      const refused = await call('10.0.0.4', ada)
      expect(refused.statusCode).toBe(429)
      expect(refused.json()).toMatchObject({ 'violated-policies': ['per-user'] })
      expect(fieldsByName(refused.headers)).toEqual({
        policy: { 'per-user': { q: 3, w: 60 } },
        limit: { 'per-user': { r: 0, t: 60 } },
      })
      expect((await call('10.0.0.4', await bearer(app, 'grace'))).statusCode).toBe(200)
    })

    it('should leave routes without authenticate to the IP policy', async () => {
      const app = await build()
      const res = await app.inject('/public')
      expect(res.statusCode).toBe(200)
      expect(res.headers['ratelimit-policy']).toBe('"per-ip";q=5;w=60')
    })
  })
})
