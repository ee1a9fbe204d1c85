// Named policies in memory: several per app and route, each with its own key, cost and block; the headers of
// every one of them on a served request, and only the refusing ones on a 429.
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fieldsByName, rateLimitFields } from './fields.js'

const apps: FastifyInstance[] = []
const start = Date.UTC(2026, 11, 1, 12, 0, 0)

async function build(rateLimit: KeelRateLimitOptions) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelErrors)
  await app.register(keelSecurity, { rateLimit })
  app.get('/items', async () => ({ items: [] }))
  return app
}

/** Moves the clock the limits read; the app's timers are left alone. */
function at(ms: number): void {
  vi.setSystemTime(start + ms)
}

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

const burstAndHourly: KeelRateLimitOptions = {
  policies: [
    { name: 'burst', max: 2, timeWindow: '1 s' },
    { name: 'hourly', max: 5, timeWindow: '1 hour' },
  ],
}

describe('security', () => {
  describe('named policies', () => {
    it('should show every policy in RateLimit-Policy and RateLimit, in order, as Structured Fields', async () => {
      const app = await build(burstAndHourly)
      const res = await app.inject('/items')
      expect(res.statusCode).toBe(200)
      expect(res.headers['ratelimit-policy']).toBe('"burst";q=2;w=1, "hourly";q=5;w=3600')
      expect(rateLimitFields(res.headers)).toEqual({
        policy: [
          { name: 'burst', params: { q: 2, w: 1 } },
          { name: 'hourly', params: { q: 5, w: 3600 } },
        ],
        limit: [
          { name: 'burst', params: { r: 1, t: 1 } },
          { name: 'hourly', params: { r: 4, t: 3600 } },
        ],
      })
    })

    it('should refuse with the most restrictive policy, naming only it in the headers and the problem document', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const app = await build(burstAndHourly)
      expect((await app.inject('/items')).statusCode).toBe(200)
      expect((await app.inject('/items')).statusCode).toBe(200)
      const refused = await app.inject('/items')
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      expect(refused.json()).toMatchObject({
        type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
        status: 429,
        code: 'RATE_LIMITED',
        'violated-policies': ['burst'],
      })
      expect(refused.headers['retry-after']).toBe('1')
      expect(fieldsByName(refused.headers)).toEqual({
        policy: { burst: { q: 2, w: 1 } },
        limit: { burst: { r: 0, t: 1 } },
      })
    })

    it("should not charge a refused request to the other policies' quotas", async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const app = await build(burstAndHourly)
      for (let i = 0; i < 2; i++) await app.inject('/items')
      for (let i = 0; i < 10; i++) expect((await app.inject('/items')).statusCode).toBe(429)
      at(1000)
      expect(fieldsByName((await app.inject('/items')).headers).limit.hourly).toEqual({ r: 2, t: 3599 })
    })

    it('should name every exhausted policy, and wait for the longest of them', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const app = await build({
        policies: [
          { name: 'burst', max: 1, timeWindow: '10 s' },
          { name: 'daily', max: 1, timeWindow: '1 day' },
        ],
      })
      expect((await app.inject('/items')).statusCode).toBe(200)
      const refused = await app.inject('/items')
      expect(refused.json()).toMatchObject({ 'violated-policies': ['burst', 'daily'] })
      expect(refused.headers['retry-after']).toBe('86400')
      expect(fieldsByName(refused.headers).limit).toEqual({ burst: { r: 0, t: 10 }, daily: { r: 0, t: 86_400 } })
    })

    it('should count each policy under its own key', async () => {
      const app = await build({
        policies: [
          { name: 'per-ip', max: 100 },
          { name: 'per-api-key', max: 2, keyGenerator: (request) => request.headers['x-api-key'] as string },
        ],
      })
      const call = (ip: string, key: string) =>
        app.inject({ url: '/items', remoteAddress: ip, headers: { 'x-api-key': key } })
      expect((await call('10.0.0.1', 'tenant-a')).statusCode).toBe(200)
      expect((await call('10.0.0.2', 'tenant-a')).statusCode).toBe(200)
      const refused = await call('10.0.0.3', 'tenant-a')
      expect(refused.statusCode).toBe(429)
      expect(refused.json()).toMatchObject({ 'violated-policies': ['per-api-key'] })
      expect(fieldsByName((await call('10.0.0.3', 'tenant-b')).headers).limit).toEqual({
        'per-ip': { r: 99, t: 60 },
        'per-api-key': { r: 1, t: 60 },
      })
    })

    it('should leave a request out of a policy whose key generator returns undefined', async () => {
      const app = await build({
        policies: [
          { name: 'all', max: 10 },
          { name: 'tenants', max: 1, keyGenerator: (request) => request.headers['x-tenant'] as string | undefined },
        ],
      })
      for (let i = 0; i < 3; i++) {
        const res = await app.inject('/items')
        expect(res.statusCode).toBe(200)
        expect(res.headers['ratelimit-policy']).toBe('"all";q=10;w=60')
      }
      expect((await app.inject({ url: '/items', headers: { 'x-tenant': 't' } })).statusCode).toBe(200)
      expect((await app.inject({ url: '/items', headers: { 'x-tenant': 't' } })).statusCode).toBe(429)
    })

    it('should answer 500, and count nothing, when a key generator returns neither a string nor a number', async () => {
      const app = await build({
        policies: [
          { name: 'all', max: 10 },
          { name: 'bad', max: 10, keyGenerator: (request) => (request.headers['x-bad'] ? ({} as string) : 'ok') },
        ],
      })
      expect((await app.inject({ url: '/items', headers: { 'x-bad': '1' } })).statusCode).toBe(500)
      expect(fieldsByName((await app.inject('/items')).headers).limit.all?.r).toBe(9)
    })

    it('should wait for a key generator that returns a promise', async () => {
      const app = await build({
        policies: [
          { name: 'sync', max: 10 },
          { name: 'async', max: 1, keyGenerator: async (request) => `tenant:${request.headers['x-tenant']}` },
        ],
      })
      const call = () => app.inject({ url: '/items', headers: { 'x-tenant': 'a' } })
      expect(fieldsByName((await call()).headers).limit).toEqual({ sync: { r: 9, t: 60 }, async: { r: 0, t: 60 } })
      expect((await call()).json()).toMatchObject({ 'violated-policies': ['async'] })
    })

    it('should skip allow-listed keys in every policy', async () => {
      const app = await build({ ...burstAndHourly, allowList: (_request, key) => key === '127.0.0.1' })
      for (let i = 0; i < 5; i++) {
        const res = await app.inject('/items')
        expect(res.statusCode).toBe(200)
        expect(res.headers.ratelimit).toBeUndefined()
      }
      expect((await app.inject({ url: '/items', remoteAddress: '10.0.0.9' })).headers.ratelimit).toBeDefined()
    })

    it('should describe the policy closest to its limit in the legacy headers', async () => {
      const app = await build({ ...burstAndHourly, headers: 'legacy' })
      const res = await app.inject('/items')
      expect([
        res.headers['ratelimit-limit'],
        res.headers['ratelimit-remaining'],
        res.headers['ratelimit-reset'],
      ]).toEqual(['2', '1', '1'])
      await app.inject('/items')
      const refused = await app.inject('/items')
      expect([refused.headers['ratelimit-limit'], refused.headers['ratelimit-remaining']]).toEqual(['2', '0'])
      expect(refused.headers['retry-after']).toBe(refused.headers['ratelimit-reset'])
    })
  })

  describe('route policies', () => {
    it("should share the counters of the app's policies it names, and keep its own policies' counters to itself", async () => {
      const app = await build({ policies: [{ name: 'app', max: 3 }] })
      app.get('/export', { config: { security: { rateLimit: ['app', { name: 'exports', max: 1 }] } } }, async () => 'x')
      const exported = await app.inject('/export')
      expect(fieldsByName(exported.headers).limit).toEqual({ app: { r: 2, t: 60 }, exports: { r: 0, t: 60 } })
      expect((await app.inject('/export')).json()).toMatchObject({ 'violated-policies': ['exports'] })
      expect(fieldsByName((await app.inject('/items')).headers).limit).toEqual({ app: { r: 1, t: 60 } })
    })

    it('should share a route policy between the routes of one groupId', async () => {
      const app = await build({})
      const rateLimit = { name: 'reports', max: 2, groupId: 'reports' }
      app.get('/reports/a', { config: { security: { rateLimit } } }, async () => 'a')
      app.get('/reports/b', { config: { security: { rateLimit } } }, async () => 'b')
      app.get('/other', { config: { security: { rateLimit: { name: 'reports', max: 2 } } } }, async () => 'c')
      expect((await app.inject('/reports/a')).statusCode).toBe(200)
      expect((await app.inject('/reports/b')).statusCode).toBe(200)
      expect((await app.inject('/reports/a')).statusCode).toBe(429)
      expect((await app.inject('/other')).statusCode).toBe(200)
    })

    it("should name a route's single unnamed policy 'route'", async () => {
      const app = await build({})
      app.get('/slow', { config: { security: { rateLimit: { max: 3, timeWindow: '1 hour' } } } }, async () => 'x')
      expect((await app.inject('/slow')).headers['ratelimit-policy']).toBe('"route";q=3;w=3600')
    })
  })

  describe('cost', () => {
    it('should charge a weighted endpoint its cost, and refuse it once the rest is smaller', async () => {
      const app = await build({ policies: [{ name: 'units', max: 10 }] })
      app.post('/report', { config: { security: { rateLimit: ['units'] } } }, async () => 'built')
      app.get(
        '/weighted',
        { config: { security: { rateLimit: [{ name: 'units', max: 10, cost: 4 }] } } },
        async () => 'w',
      )
      const costs = [] as unknown[]
      for (let i = 0; i < 3; i++) costs.push(fieldsByName((await app.inject('/weighted')).headers).limit.units)
      expect(costs).toEqual([
        { r: 6, t: 60 },
        { r: 2, t: 60 },
        { r: 2, t: 60 },
      ])
      expect((await app.inject('/weighted')).statusCode).toBe(429)
      expect((await app.inject({ method: 'POST', url: '/report' })).statusCode).toBe(200)
    })

    it('should read a cost function of the request', async () => {
      const app = await build({ max: 10, cost: (request) => (request.method === 'POST' ? 5 : 1) })
      app.post('/items', async () => 'created')
      expect(fieldsByName((await app.inject({ method: 'POST', url: '/items' })).headers).limit.default?.r).toBe(5)
      expect(fieldsByName((await app.inject('/items')).headers).limit.default?.r).toBe(4)
    })

    it('should answer 500, and count nothing, when a cost function returns no integer', async () => {
      const app = await build({ max: 10, cost: (request) => (request.headers['x-bad'] === undefined ? 1 : Number.NaN) })
      expect((await app.inject({ url: '/items', headers: { 'x-bad': '1' } })).statusCode).toBe(500)
      expect(fieldsByName((await app.inject('/items')).headers).limit.default?.r).toBe(9)
    })
  })

  describe('blockDuration', () => {
    it('should refuse a client for blockDuration once a policy refused it, past the end of the window', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const app = await build({ max: 2, timeWindow: '1 minute', blockDuration: '10 minutes' })
      expect((await app.inject('/items')).statusCode).toBe(200)
      expect((await app.inject('/items')).statusCode).toBe(200)
      const blocked = await app.inject('/items')
      expect(blocked.statusCode).toBe(429)
      expect(blocked.headers['retry-after']).toBe('600')
      expect(fieldsByName(blocked.headers).limit).toEqual({ default: { r: 0, t: 600 } })
      at(61_000)
      const still = await app.inject('/items')
      expect(still.statusCode).toBe(429)
      expect(still.headers['retry-after']).toBe('539')
      expect((await app.inject({ url: '/items', remoteAddress: '10.0.0.2' })).statusCode).toBe(200)
      at(600_000)
      expect((await app.inject('/items')).statusCode).toBe(200)
    })
  })
})
