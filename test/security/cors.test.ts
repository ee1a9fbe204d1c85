import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelCorsOptions, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'

const apps: FastifyInstance[] = []
const allowed = 'https://app.example.com'

async function build(cors?: KeelCorsOptions | false) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelSecurity, cors === undefined ? {} : { cors })
  app.get('/items', async () => ({ items: [] }))
  app.post('/items', async () => ({ created: true }))
  return app
}

function preflight(app: FastifyInstance, origin: string, method = 'POST') {
  return app.inject({
    method: 'OPTIONS',
    url: '/items',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' },
  })
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('cors', () => {
    it('should send no CORS header when no origin is configured', async () => {
      const app = await build()
      const res = await app.inject({ url: '/items', headers: { origin: allowed } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
    })

    it('should reject preflights when no origin is configured', async () => {
      const app = await build()
      const res = await preflight(app, allowed)
      expect(res.statusCode).toBe(404)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      expect(res.headers['access-control-allow-methods']).toBeUndefined()
    })

    it('should echo a listed origin with Vary: Origin', async () => {
      const app = await build({ origins: [allowed, 'https://admin.example.com'] })
      const res = await app.inject({ url: '/items', headers: { origin: allowed } })
      expect(res.headers['access-control-allow-origin']).toBe(allowed)
      expect(res.headers.vary).toContain('Origin')
    })

    it('should set Vary: Origin on responses to unlisted origins too', async () => {
      const app = await build({ origins: [allowed] })
      const res = await app.inject({ url: '/items', headers: { origin: 'https://evil.example' } })
      expect(res.headers.vary).toContain('Origin')
    })

    it.each([
      ['the null origin', 'null'],
      ['another site', 'https://evil.example'],
      ['an origin with a path', `${allowed}/path`],
      ['an uppercase variant', 'HTTPS://APP.EXAMPLE.COM'],
      ['http instead of https', 'http://app.example.com'],
      ['a suffix attack', 'https://app.example.com.evil.example'],
      ['another port', 'https://app.example.com:8443'],
    ])('should give %s no CORS access', async (_name, origin) => {
      const app = await build({ origins: [allowed], credentials: true })
      const simple = await app.inject({ url: '/items', headers: { origin } })
      expect(simple.statusCode).toBe(200)
      expect(simple.headers['access-control-allow-origin']).toBeUndefined()
      expect(simple.headers['access-control-allow-credentials']).toBeUndefined()
      expect(simple.headers['access-control-expose-headers']).toBeUndefined()
      const pre = await preflight(app, origin)
      expect(pre.statusCode).toBe(404)
      expect(pre.headers['access-control-allow-origin']).toBeUndefined()
      expect(pre.headers['access-control-allow-methods']).toBeUndefined()
    })

    it('should answer a preflight from a listed origin with max-age and the allowed methods', async () => {
      const app = await build({ origins: [allowed], credentials: true })
      const res = await preflight(app, allowed, 'PATCH')
      expect(res.statusCode).toBe(204)
      expect(res.headers['access-control-allow-origin']).toBe(allowed)
      expect(res.headers['access-control-allow-credentials']).toBe('true')
      expect(res.headers['access-control-max-age']).toBe('600')
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, QUERY')
      expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-request-id')
    })

    it('should allow the HTTP QUERY method by default', async () => {
      const app = await build({ origins: [allowed] })
      app.route({ method: 'QUERY', url: '/search', handler: async () => ({ items: [] }) })
      const pre = await app.inject({
        method: 'OPTIONS',
        url: '/search',
        headers: { origin: allowed, 'access-control-request-method': 'QUERY' },
      })
      expect(pre.statusCode).toBe(204)
      expect(String(pre.headers['access-control-allow-methods']).split(', ')).toContain('QUERY')
      const res = await app.inject({
        method: 'QUERY' as 'POST',
        url: '/search',
        headers: { origin: allowed },
        payload: { name: 'ada' },
      })
      expect(res.statusCode).toBe(200)
      expect(res.headers['access-control-allow-origin']).toBe(allowed)
    })

    it('should expose the request id and rate-limit headers by default, plus the configured ones', async () => {
      const app = await build({ origins: [allowed], exposedHeaders: ['X-Total-Count'] })
      const res = await app.inject({ url: '/items', headers: { origin: allowed } })
      const exposed = String(res.headers['access-control-expose-headers']).split(', ')
      expect(exposed).toEqual(
        expect.arrayContaining([
          'x-request-id',
          'retry-after',
          'ratelimit-policy',
          'ratelimit',
          'ratelimit-limit',
          'ratelimit-remaining',
          'ratelimit-reset',
          'x-total-count',
        ]),
      )
    })

    it("should allow every origin without credentials when origins is '*'", async () => {
      const app = await build({ origins: '*', maxAge: '1 minute' })
      const res = await app.inject({ url: '/items', headers: { origin: 'https://anyone.example' } })
      expect(res.headers['access-control-allow-origin']).toBe('*')
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
      const pre = await preflight(app, 'https://anyone.example')
      expect(pre.statusCode).toBe(204)
      expect(pre.headers['access-control-max-age']).toBe('60')
    })

    it('should not count preflights against the rate limit', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelSecurity, { cors: { origins: [allowed] }, rateLimit: { max: 1 } })
      app.post('/items', async () => ({ created: true }))
      for (let i = 0; i < 3; i++) expect((await preflight(app, allowed)).statusCode).toBe(204)
      expect((await app.inject({ method: 'POST', url: '/items', headers: { origin: allowed } })).statusCode).toBe(200)
    })

    it('should register nothing for CORS when cors is false', async () => {
      const app = await build(false)
      const res = await preflight(app, allowed)
      expect(res.statusCode).toBe(404)
    })

    it("should refuse credentials: true with origins: '*' at register time", async () => {
      await expect(build({ origins: '*', credentials: true })).rejects.toMatchObject({
        name: 'KeelConfigError',
        code: 'KEEL_ERR_SECURITY_CORS_CREDENTIALS_WILDCARD',
      })
    })

    it.each([
      ['a trailing slash', 'https://app.example.com/'],
      ['a path', 'https://app.example.com/app'],
      ['uppercase', 'https://App.Example.com'],
      ['no scheme', 'app.example.com'],
      ['a wildcard among origins', '*'],
      ['a file origin', 'file:///tmp/x'],
    ])('should refuse an origin with %s', async (_name, origin) => {
      await expect(build({ origins: [origin] })).rejects.toMatchObject({ code: 'KEEL_ERR_SECURITY_CORS_ORIGIN' })
    })

    it('should work over a real connection', async () => {
      const app = await build({ origins: [allowed] })
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      const res = await fetch(`${address}/items`, { headers: { origin: allowed } })
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed)
      const evil = await fetch(`${address}/items`, { headers: { origin: 'https://evil.example' } })
      expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    })
  })
})
