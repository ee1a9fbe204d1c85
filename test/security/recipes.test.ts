// The rate-limit recipes of docs/security.md, as written there (with the app's own functions stubbed), and what
// their text says they do.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'
import { fieldsByName } from './fields.js'

const apps: FastifyInstance[] = []

async function newApp() {
  const app = Fastify()
  apps.push(app)
  await app.register(keelErrors)
  return app
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('recipes', () => {
    it('should limit login per IP, block, and count failures per account', async () => {
      const app = await newApp()
      await app.register(keelSecurity)
      const login = async (request: FastifyRequest, reply: FastifyReply) =>
        (request.body as { password?: string }).password === 'right' ? { ok: true } : reply.code(401).send({})
      // From docs/security.md, "Stricter limits on login".
      app.post(
        '/auth/login',
        {
          config: {
            security: {
              // Every attempt: the app's policy plus 20 a minute per IP, then 15 minutes off for whoever keeps going.
              rateLimit: ['default', { name: 'login', max: 20, timeWindow: '1 minute', blockDuration: '15 minutes' }],
              // Failed attempts only, per client and account.
              failureLimit: {
                name: 'login-failures',
                max: 5,
                timeWindow: '15 minutes',
                keyGenerator: (request) => {
                  const email = (request.body as { email?: unknown } | undefined)?.email
                  return `${request.ip}:${typeof email === 'string' ? email.toLowerCase() : ''}`
                },
              },
            },
          },
        },
        login,
      )
      const attempt = (email: string, password: string) =>
        app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
      for (let i = 0; i < 5; i++) expect((await attempt('ada@example.com', 'wrong')).statusCode).toBe(401)
      const locked = await attempt('ada@example.com', 'right')
      expect(locked.statusCode).toBe(429)
      expect(locked.json()).toMatchObject({ 'violated-policies': ['login-failures'] })
      expect(Object.keys(fieldsByName(locked.headers).limit)).toEqual(['login-failures'])
      for (let i = 0; i < 14; i++) await attempt(`user${i}@example.com`, 'right')
      const blocked = await attempt('grace@example.com', 'right')
      expect(blocked.json()).toMatchObject({ 'violated-policies': ['login'] })
      expect(blocked.headers['retry-after']).toBe('900')
    })

    it('should limit per IP before authenticate and per user after it', async () => {
      const app = await newApp()
      process.env.JWT_SECRET ??= 'a-test-secret-of-at-least-32-characters'
      // From docs/security.md, "Limits per user after authentication".
      await app.register(keelSecurity, {
        rateLimit: {
          policies: [
            // onRequest, before authenticate: counts every request, 401s included, so tokens cannot be guessed freely.
            { name: 'per-ip', max: 100, timeWindow: '1 minute' },
            // preHandler, after authenticate: request.user is set; requests without a user are left out of it.
            {
              name: 'per-user',
              max: 1000,
              timeWindow: '1 hour',
              hook: 'preHandler',
              keyGenerator: (request) => request.user?.sub,
            },
          ],
        },
      })
      await app.register(keelAuth, {
        secret: process.env.JWT_SECRET!,
        issuer: 'https://api.example.com',
        audience: 'api',
      })
      app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
      await app.ready()
      const { accessToken } = await app.tokens.issue({ sub: 'ada', roles: [] })
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${accessToken}` } })
      expect(res.headers.ratelimit).toBe('"per-ip";r=99;t=60, "per-user";r=999;t=3600')
    })

    it('should give a tenant the budgets of its plan, and show only the policies that apply', async () => {
      const app = await newApp()
      const apiKeys = new Map([
        ['key-free', { id: 'tenant-1', plan: 'free' as const }],
        ['key-pro', { id: 'tenant-2', plan: 'pro' as const }],
      ])
      // From docs/security.md, "API keys per tenant, with a quota per plan".
      const tenantOf = (request: FastifyRequest) => apiKeys.get(String(request.headers['x-api-key']))
      const onPlan = (plan: 'free' | 'pro') => (request: FastifyRequest) => {
        const tenant = tenantOf(request)
        return tenant?.plan === plan ? tenant.id : undefined // another plan's request is left out of this policy
      }

      await app.register(keelSecurity, {
        rateLimit: {
          policies: [
            { name: 'per-ip', max: 300, timeWindow: '1 minute' }, // floods and key guessing, with or without a key
            {
              name: 'tenant-burst',
              max: 50,
              timeWindow: '1 s',
              algorithm: 'sliding',
              keyGenerator: (r) => tenantOf(r)?.id,
            },
            { name: 'free-daily', max: 1_000, timeWindow: '1 day', keyGenerator: onPlan('free') },
            { name: 'pro-daily', max: 100_000, timeWindow: '1 day', keyGenerator: onPlan('pro') },
          ],
        },
      })
      app.get('/items', async () => [])
      const names = async (key?: string) =>
        Object.keys(
          fieldsByName(
            (await app.inject({ url: '/items', headers: key === undefined ? {} : { 'x-api-key': key } })).headers,
          ).policy,
        )
      expect(await names('key-free')).toEqual(['per-ip', 'tenant-burst', 'free-daily'])
      expect(await names('key-pro')).toEqual(['per-ip', 'tenant-burst', 'pro-daily'])
      expect(await names()).toEqual(['per-ip'])
    })

    it('should charge weighted costs from one budget and keep an own quota shut while Redis is down', async () => {
      const app = await newApp()
      const buildReport = async () => 'report'
      const search = async () => []
      const startExport = async () => 'started'
      // From docs/security.md, "Expensive endpoints".
      // One budget of units an hour per client, where a report costs 20 and a search 5.
      const costs: Record<string, number> = { '/reports': 20, '/search': 5 }
      await app.register(keelSecurity, {
        rateLimit: {
          policies: [
            {
              name: 'units',
              max: 1000,
              timeWindow: '1 hour',
              cost: (request) => costs[request.routeOptions.url ?? ''] ?? 1,
            },
          ],
        },
      })
      app.post('/reports', buildReport)
      app.get('/search', search)
      // An export also has a quota of its own, which stays shut (503) rather than open while Redis is down.
      app.post(
        '/exports',
        {
          config: {
            security: { rateLimit: ['units', { name: 'exports', max: 5, timeWindow: '1 day', skipOnError: false }] },
          },
        },
        startExport,
      )
      const left = async (method: 'GET' | 'POST', url: string) =>
        fieldsByName((await app.inject({ method, url })).headers).limit.units?.r
      expect(await left('POST', '/reports')).toBe(980)
      expect(await left('GET', '/search')).toBe(975)
      expect(await left('POST', '/exports')).toBe(974)
    })
  })
})
