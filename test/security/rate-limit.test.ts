import Fastify, { type FastifyInstance, type FastifyServerOptions, type onRequestHookHandler } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelHealth } from 'fastify-keel/health'
import { type KeelSecurityOptions, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fieldsByName } from './fields.js'

const apps: FastifyInstance[] = []

async function build(options: KeelSecurityOptions = {}, server: FastifyServerOptions = {}) {
  const app = Fastify(server)
  apps.push(app)
  await app.register(keelSecurity, options)
  app.get('/items', async () => ({ items: [] }))
  app.get('/health/live', async () => ({ status: 'pass' }))
  return app
}

async function hit(app: FastifyInstance, times: number, url = '/items') {
  const statuses: number[] = []
  for (let i = 0; i < times; i++) statuses.push((await app.inject(url)).statusCode)
  return statuses
}

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('rate limit', () => {
    it('should allow 100 requests per minute per client and limit the 101st', async () => {
      const app = await build()
      const statuses = await hit(app, 100)
      expect(statuses.every((status) => status === 200)).toBe(true)
      const limited = await app.inject('/items')
      expect(limited.statusCode).toBe(429)
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' })
      expect(limited.headers['retry-after']).toBe('60')
      expect(fieldsByName(limited.headers)).toEqual({
        policy: { default: { q: 100, w: 60 } },
        limit: { default: { r: 0, t: 60 } },
      })
    })

    it('should send the RateLimit-Policy and RateLimit fields on every limited route response', async () => {
      const app = await build({ rateLimit: { max: 5 } })
      const res = await app.inject('/items')
      expect(res.headers['ratelimit-policy']).toBe('"default";q=5;w=60')
      expect(res.headers.ratelimit).toBe('"default";r=4;t=60')
      expect(res.headers['ratelimit-limit']).toBeUndefined()
    })

    it("should send @fastify/rate-limit's legacy headers with headers: 'legacy'", async () => {
      const app = await build({ rateLimit: { max: 5, headers: 'legacy' } })
      const res = await app.inject('/items')
      expect(res.headers['ratelimit-limit']).toBe('5')
      expect(res.headers['ratelimit-remaining']).toBe('4')
      expect(res.headers['ratelimit-reset']).toBe('60')
      expect(res.headers['ratelimit-policy']).toBeUndefined()
      expect(res.headers.ratelimit).toBeUndefined()
    })

    it('should send both dialects while clients migrate, and none with headers: false', async () => {
      const both = await build({ rateLimit: { max: 5, headers: ['draft-ietf-11', 'legacy'] } })
      const res = await both.inject('/items')
      expect(res.headers.ratelimit).toBe('"default";r=4;t=60')
      expect(res.headers['ratelimit-remaining']).toBe('4')
      const none = await build({ rateLimit: { max: 1, headers: false } })
      expect((await none.inject('/items')).headers.ratelimit).toBeUndefined()
      const limited = await none.inject('/items')
      expect(limited.statusCode).toBe(429)
      expect(limited.headers['retry-after']).toBe('60')
      expect(limited.headers.ratelimit).toBeUndefined()
      expect(limited.headers['ratelimit-limit']).toBeUndefined()
    })

    it('should count clients separately by IP', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      expect((await app.inject({ url: '/items', remoteAddress: '10.0.0.1' })).statusCode).toBe(200)
      expect((await app.inject({ url: '/items', remoteAddress: '10.0.0.1' })).statusCode).toBe(429)
      expect((await app.inject({ url: '/items', remoteAddress: '10.0.0.2' })).statusCode).toBe(200)
    })

    it('should group IPv6 clients by /64', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      expect((await app.inject({ url: '/items', remoteAddress: '2001:db8:1:2::1' })).statusCode).toBe(200)
      expect((await app.inject({ url: '/items', remoteAddress: '2001:db8:1:2::ffff' })).statusCode).toBe(429)
      expect((await app.inject({ url: '/items', remoteAddress: '2001:db8:1:3::1' })).statusCode).toBe(200)
    })

    it('should not rate-limit the probes of keelHealth, wherever they are mounted', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      await app.register(keelHealth, { prefix: '/probes', handleSignals: false, underPressure: false })
      expect(await hit(app, 3, '/probes/live')).toEqual([200, 200, 200])
      expect(await hit(app, 3, '/probes/ready')).toEqual([200, 200, 200])
    })

    it('should limit /health/ routes of the app like any other route', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      expect(await hit(app, 2, '/health/live')).toEqual([200, 429])
    })

    it('should not limit routes under exemptPrefixes', async () => {
      const app = await build({ rateLimit: { max: 1, exemptPrefixes: ['/health/'] } })
      expect(await hit(app, 3, '/health/live')).toEqual([200, 200, 200])
      expect(await hit(app, 2, '/items')).toEqual([200, 429])
    })

    it('should honour a route that opts out with config.security.rateLimit: false', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      app.get('/public', { config: { security: { rateLimit: false } } }, async () => 'ok')
      expect(await hit(app, 3, '/public')).toEqual([200, 200, 200])
    })

    it("should honour @fastify/rate-limit's config.rateLimit: false, the signal keelHealth's probes send", async () => {
      const app = await build({ rateLimit: { max: 1 } })
      app.get('/public', { config: { rateLimit: false } }, async () => 'ok')
      expect(await hit(app, 3, '/public')).toEqual([200, 200, 200])
    })

    it("should refuse @fastify/rate-limit's config.rateLimit options, naming where keel's go", async () => {
      const app = await build()
      expect(() => app.get('/old', { config: { rateLimit: { max: 5 } } }, async () => 'ok')).toThrow(
        expect.objectContaining({
          code: 'KEEL_ERR_SECURITY_ROUTE_CONFIG',
          message: expect.stringContaining('move the policy to config.security.rateLimit'),
        }),
      )
    })

    it('should apply a stricter route limit from config.security.rateLimit, with counters of its own', async () => {
      const app = await build()
      app.post('/login', { config: { security: { rateLimit: { max: 2, timeWindow: '1 minute' } } } }, async () => 'ok')
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'POST', url: '/login' })).statusCode)
      expect(statuses).toEqual([200, 200, 429])
      expect((await app.inject('/items')).statusCode).toBe(200)
    })

    it('should run a route limit in the hook its config names, first among that hook list', async () => {
      const app = await build()
      app.post<{ Body: { user: string } }>(
        '/by-user',
        {
          config: {
            security: {
              rateLimit: {
                max: 1,
                hook: 'preHandler',
                keyGenerator: (request) => (request.body as { user: string }).user,
              },
            },
          },
        },
        async () => 'ok',
      )
      const post = (user: string) => app.inject({ method: 'POST', url: '/by-user', payload: { user } })
      expect((await post('ada')).statusCode).toBe(200)
      expect((await post('ada')).statusCode).toBe(429)
      expect((await post('grace')).statusCode).toBe(200)
    })

    it('should offer app.rateLimitHook() for a hook of your own', async () => {
      const app = await build()
      const hook = app.rateLimitHook({ name: 'custom', max: 1 })
      app.get('/custom', { config: { security: { rateLimit: false } }, onRequest: hook }, async () => 'ok')
      expect(await hit(app, 2, '/custom')).toEqual([200, 429])
      expect(fieldsByName((await app.inject('/custom')).headers).policy).toEqual({ custom: { q: 1, w: 60 } })
    })

    it("should check the app's policies in a hook of app.rateLimitHook() without arguments", async () => {
      const app = await build({ rateLimit: { max: 2 } })
      app.get('/own', { config: { security: { rateLimit: false } }, preHandler: app.rateLimitHook() }, async () => 'ok')
      expect(await hit(app, 1, '/own')).toEqual([200])
      expect(await hit(app, 2)).toEqual([200, 429])
    })

    it('should skip allow-listed keys', async () => {
      const app = await build({ rateLimit: { max: 1, allowList: ['127.0.0.1'] } })
      expect(await hit(app, 3)).toEqual([200, 200, 200])
    })

    it('should use a custom key generator', async () => {
      const app = await build({
        rateLimit: { max: 1, keyGenerator: (request) => String(request.headers['x-api-key']) },
      })
      expect((await app.inject({ url: '/items', headers: { 'x-api-key': 'a' } })).statusCode).toBe(200)
      expect((await app.inject({ url: '/items', headers: { 'x-api-key': 'a' } })).statusCode).toBe(429)
      expect((await app.inject({ url: '/items', headers: { 'x-api-key': 'b' } })).statusCode).toBe(200)
    })

    it('should reset the budget after the window', async () => {
      const app = await build({ rateLimit: { max: 1, timeWindow: 50 } })
      expect(await hit(app, 2)).toEqual([200, 429])
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 1000 })
      expect(await hit(app, 1)).toEqual([200])
    })

    it('should turn rate limiting off with rateLimit: false', async () => {
      const app = await build({ rateLimit: false })
      const res = await app.inject('/items')
      expect(res.headers.ratelimit).toBeUndefined()
      expect(app.hasDecorator('rateLimitHook')).toBe(false)
    })

    describe('with route-level onRequest hooks', () => {
      async function buildWithAuth(rateLimit: KeelSecurityOptions['rateLimit'] = {}) {
        const app = await build({ rateLimit })
        await app.register(keelAuth, {
          secret: 'a-test-secret-of-at-least-32-characters',
          issuer: 'https://api.test',
          audience: 'test-api',
        })
        app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
        return app
      }
      const withBadToken = (app: FastifyInstance, url = '/me') =>
        app.inject({ url, headers: { authorization: 'Bearer not.a.valid-token' } })

      it('should count requests that keelAuth rejects, and limit the 101st', async () => {
        const app = await buildWithAuth()
        for (let i = 0; i < 100; i++) expect((await withBadToken(app)).statusCode).toBe(401)
        const limited = await withBadToken(app)
        expect(limited.statusCode).toBe(429)
        expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' })
      })

      it('should send rate-limit headers on a 401 from authenticate', async () => {
        const app = await buildWithAuth({ max: 5 })
        const res = await withBadToken(app)
        expect(res.statusCode).toBe(401)
        expect(fieldsByName(res.headers).limit).toEqual({ default: { r: 4, t: 60 } })
      })

      it('should check a stricter route limit before the route hooks', async () => {
        const app = await buildWithAuth()
        app.post(
          '/token-check',
          { onRequest: app.authenticate, config: { security: { rateLimit: { max: 2, timeWindow: '1 minute' } } } },
          async () => 'ok',
        )
        const statuses: number[] = []
        for (let i = 0; i < 3; i++) {
          statuses.push(
            (await app.inject({ method: 'POST', url: '/token-check', headers: { authorization: 'Bearer x.y.z' } }))
              .statusCode,
          )
        }
        expect(statuses).toEqual([401, 401, 429])
      })

      it('should leave a route hook list shared between routes untouched', async () => {
        const app = await build({ rateLimit: { max: 2 } })
        const runs: string[] = []
        const shared: onRequestHookHandler[] = [
          async (request) => {
            runs.push(request.url)
          },
        ]
        app.get('/a', { onRequest: shared }, async () => 'a')
        app.get('/b', { onRequest: shared }, async () => 'b')
        expect(shared).toHaveLength(1)
        expect((await app.inject('/a')).statusCode).toBe(200)
        expect((await app.inject('/b')).statusCode).toBe(200)
        expect((await app.inject('/a')).statusCode).toBe(429)
        expect(runs).toEqual(['/a', '/b'])
      })

      it('should not limit an exempt route that has its own hooks', async () => {
        const app = await buildWithAuth({ max: 1, exemptPrefixes: ['/health/'] })
        app.get('/health/secret', { onRequest: [app.authenticate] }, async () => 'ok')
        const statuses = [await withBadToken(app, '/health/secret'), await withBadToken(app, '/health/secret')]
        expect(statuses.map((res) => res.statusCode)).toEqual([401, 401])
        expect(statuses[0]?.headers.ratelimit).toBeUndefined()
      })
    })

    it('should limit over a real connection', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      expect((await fetch(`${address}/items`)).status).toBe(200)
      const limited = await fetch(`${address}/items`)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBe('60')
      expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED')
    })
  })

  describe('failure limit', () => {
    async function buildLogin(failureLimit: Record<string, unknown> = { max: 3 }) {
      const app = await build({ rateLimit: false })
      app.post<{ Body: { user: string; password: string } }>(
        '/login',
        { config: { security: { failureLimit } } },
        async (request, reply) => {
          if (request.body.password !== 'right') return reply.code(401).send({ ok: false })
          return { ok: true }
        },
      )
      return app
    }
    const login = (app: FastifyInstance, password: string, user = 'ada') =>
      app.inject({ method: 'POST', url: '/login', payload: { user, password } })

    it('should answer 429 after max failed attempts', async () => {
      const app = await buildLogin()
      for (let i = 0; i < 3; i++) expect((await login(app, 'wrong')).statusCode).toBe(401)
      const blocked = await login(app, 'right')
      expect(blocked.statusCode).toBe(429)
      expect(blocked.json()).toMatchObject({ code: 'RATE_LIMITED' })
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
    })

    it('should describe the failure limit, not the app-wide one, in the headers of its 429', async () => {
      const app = await build({ rateLimit: { max: 10_000 } })
      app.post('/login', { config: { security: { failureLimit: { max: 1, timeWindow: '1 minute' } } } }, (_r, reply) =>
        reply.code(401).send({ ok: false }),
      )
      const failed = await app.inject({ method: 'POST', url: '/login', payload: {} })
      expect(failed.statusCode).toBe(401)
      expect(fieldsByName(failed.headers).policy).toEqual({ default: { q: 10_000, w: 60 } })
      const refused = await app.inject({ method: 'POST', url: '/login', payload: {} })
      expect(refused.statusCode).toBe(429)
      const retryAfter = Number(refused.headers['retry-after'])
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(fieldsByName(refused.headers)).toEqual({
        policy: { failures: { q: 1, w: 60 } },
        limit: { failures: { r: 0, t: retryAfter } },
      })
    })

    it('should never count successful attempts', async () => {
      const app = await buildLogin()
      for (let i = 0; i < 10; i++) expect((await login(app, 'right')).statusCode).toBe(200)
      expect((await login(app, 'wrong')).statusCode).toBe(401)
    })

    it('should run the handler at most max times for a burst of parallel wrong attempts', async () => {
      const app = await build({ rateLimit: false })
      const attempts = 50
      let handlerRuns = 0
      let refused = 0
      let release = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      // Every attempt is either refused or inside the (held) handler before any of them finishes.
      const settled = () => {
        if (handlerRuns + refused === attempts) release()
      }
      app.post(
        '/slow-login',
        { config: { security: { failureLimit: { max: 5 } } } },
        async function slowLogin(_request, reply) {
          handlerRuns++
          settled()
          await gate
          return reply.code(401).send({ ok: false })
        },
      )
      const responses = await Promise.all(
        Array.from({ length: attempts }, () =>
          app.inject({ method: 'POST', url: '/slow-login', payload: {} }).then((res) => {
            if (res.statusCode === 429) {
              refused++
              settled()
            }
            return res.statusCode
          }),
        ),
      )
      expect(handlerRuns).toBe(5)
      expect(responses.filter((status) => status === 401)).toHaveLength(5)
      expect(responses.filter((status) => status === 429)).toHaveLength(45)
      expect((await app.inject({ method: 'POST', url: '/slow-login', payload: {} })).statusCode).toBe(429)
    })

    it('should give a successful attempt back, keeping the failures before it', async () => {
      const app = await buildLogin({ max: 2 })
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      for (let i = 0; i < 5; i++) expect((await login(app, 'right')).statusCode).toBe(200)
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      expect((await login(app, 'right')).statusCode).toBe(429)
    })

    it('should not lengthen the lockout with refused attempts', async () => {
      const app = await buildLogin({ max: 1, timeWindow: '1 minute' })
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      for (let i = 0; i < 5; i++) expect((await login(app, 'wrong')).statusCode).toBe(429)
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      expect((await login(app, 'right')).statusCode).toBe(429)
    })

    it('should allow attempts again after the window', async () => {
      const app = await buildLogin({ max: 1, timeWindow: '1 minute' })
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      expect((await login(app, 'right')).statusCode).toBe(429)
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 })
      expect((await login(app, 'right')).statusCode).toBe(200)
    })

    it('should key attempts with a custom key generator that reads the body', async () => {
      const app = await buildLogin({
        max: 1,
        keyGenerator: (request: { body: { user: string } }) => request.body.user,
      })
      expect((await login(app, 'wrong', 'ada')).statusCode).toBe(401)
      expect((await login(app, 'right', 'ada')).statusCode).toBe(429)
      expect((await login(app, 'right', 'grace')).statusCode).toBe(200)
    })

    it('should count only the statuses isFailure accepts', async () => {
      const app = await buildLogin({ max: 1, isFailure: (status: number) => status === 403 })
      expect((await login(app, 'wrong')).statusCode).toBe(401)
      expect((await login(app, 'wrong')).statusCode).toBe(401)
    })
  })
})
