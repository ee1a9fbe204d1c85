import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelAuthOptions, keelAuth, MemoryTokenStore, RedisTokenStore, type TokenStore } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeWithRedisServer, type PrivateRedis, startPrivateRedis } from '../helpers/private-redis.js'
import { audience, bearer, captureLogs, hsSecret, issuer, type LogLine } from './fixtures.js'

const unavailable = { status: 503, code: 'TOKEN_STORE_UNAVAILABLE' }

/** keelErrors + keelAuth with routes for every store call: login, refresh, logout, logout everywhere, /me. */
async function outageApp(store: TokenStore, options: Partial<KeelAuthOptions> = {}) {
  const { stream, lines } = captureLogs()
  const app = Fastify({ logger: { level: 'info', stream } })
  await app.register(keelErrors)
  await app.register(keelAuth, { secret: hsSecret, issuer, audience, store, storeTimeout: 200, ...options })
  app.post<{ Body: { sub: string } }>('/login', async (request) => {
    await app.tokens.checkStore()
    return app.tokens.issue({ sub: request.body.sub, roles: [] })
  })
  app.post<{ Body: { refreshToken: string } }>('/refresh', async (request) =>
    app.tokens.rotate(request.body.refreshToken),
  )
  app.post<{ Body: { refreshToken: string } }>('/logout', { onRequest: [app.authenticate] }, async (request, reply) => {
    await app.tokens.revoke(request.body.refreshToken, { sub: request.user.sub })
    return reply.code(204).send()
  })
  app.post('/logout-all', { onRequest: [app.authenticate] }, async (request, reply) => {
    await app.tokens.revokeAll(request.user.sub)
    return reply.code(204).send()
  })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
  // The session routes authenticate with a stateless check here, so the store call under test is their own.
  app.get<{ Querystring: { sub: string } }>('/sessions', async (request) => app.tokens.sessions(request.query.sub))
  app.delete<{ Params: { id: string } }>('/sessions/:id', async (request, reply) => {
    await app.tokens.endSession('user-1', request.params.id)
    return reply.code(204).send()
  })
  return { app, lines }
}

const storeFailures = (lines: LogLine[]) => lines.filter((line) => line.event === 'keel.auth.token_store_failed')

/** Every route that needs the store, each expected to answer the 503 problem document, quickly. */
async function expectEveryRouteUnavailable(app: FastifyInstance, accessToken: string, refreshToken: string) {
  const requests = [
    { method: 'GET' as const, url: '/me', headers: bearer(accessToken) },
    { method: 'POST' as const, url: '/login', payload: { sub: 'user-1' } },
    { method: 'POST' as const, url: '/refresh', payload: { refreshToken } },
    { method: 'POST' as const, url: '/logout', headers: bearer(accessToken), payload: { refreshToken } },
    { method: 'POST' as const, url: '/logout-all', headers: bearer(accessToken) },
    { method: 'GET' as const, url: '/sessions?sub=user-1' },
    { method: 'DELETE' as const, url: '/sessions/9f1c7e0a-0d5e-4f57-9a53-3c4b1f0e2a61' },
  ]
  for (const request of requests) {
    const started = performance.now()
    const res = await app.inject(request)
    expect({ url: request.url, status: res.statusCode, code: res.json().code }).toEqual({
      url: request.url,
      ...unavailable,
    })
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['retry-after']).toBe('5')
    expect(JSON.stringify(res.json())).not.toMatch(/stack|ECONNREFUSED|at .+\.js/)
    // Bounded by storeTimeout (200 ms here), never a hang.
    expect(performance.now() - started).toBeLessThan(2000)
  }
}

describe('auth: token store outages', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  describe('with a custom store', () => {
    const failing = (fail: () => never | Promise<never>): TokenStore => ({
      save: async () => fail(),
      rotate: async () => fail(),
      revokeFamily: async () => fail(),
      revokeSession: async () => fail(),
      listSessions: async () => fail(),
      revokeSubject: async () => fail(),
      getNotBefore: () => fail(),
      checkSession: () => fail(),
    })

    /** A token pair signed by the same key, from an app whose store works. */
    async function workingPair() {
      const helper = Fastify()
      await helper.register(keelAuth, { secret: hsSecret, issuer, audience })
      try {
        return await helper.tokens.issue({ sub: 'user-1', roles: [] })
      } finally {
        await helper.close()
      }
    }

    it.each([
      ['session-bound access tokens (the default)', {}, 'checkSession'],
      [
        'stateless access tokens and a grace window',
        { accessTokens: 'stateless', refreshGraceWindow: '5s' },
        'getNotBefore',
      ],
    ] as const)(
      'should answer 503 on every route when every store call throws, with %s',
      async (_name, options, first) => {
        const store = failing(() => {
          throw new Error('database exploded')
        })
        const { app, lines } = await outageApp(store, options)
        try {
          const pair = await workingPair()
          await expectEveryRouteUnavailable(app, pair.accessToken, pair.refreshToken)
          expect(storeFailures(lines)).toHaveLength(1)
          // The first request is /me: its revocation check.
          expect(storeFailures(lines)[0]).toMatchObject({ operation: first, err: { message: 'database exploded' } })
        } finally {
          await app.close()
        }
      },
    )

    it('should answer 503 after storeTimeout when every store call hangs', async () => {
      const store = failing(() => new Promise<never>(() => {}))
      const { app } = await outageApp(store, { storeTimeout: 50 })
      try {
        const pair = await workingPair()
        await expectEveryRouteUnavailable(app, pair.accessToken, pair.refreshToken)
      } finally {
        await app.close()
      }
    })

    it('should answer 503 to a store reply of the wrong shape', async () => {
      const store = new MemoryTokenStore()
      store.rotate = async () => ({ status: 'rotated' }) as never
      const { app } = await outageApp(store)
      try {
        const pair = await app.tokens.issue({ sub: 'user-1', roles: [] })
        const res = await app.inject({ method: 'POST', url: '/refresh', payload: { refreshToken: pair.refreshToken } })
        expect({ status: res.statusCode, code: res.json().code }).toEqual(unavailable)
      } finally {
        await app.close()
      }
    })

    it('should log failures at most once a minute, with the count since the last line', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
      const store = failing(() => Promise.reject(new Error('down')))
      const { app, lines } = await outageApp(store)
      try {
        const pair = await workingPair()
        for (let i = 0; i < 10; i++) await app.inject({ url: '/me', headers: bearer(pair.accessToken) })
        expect(storeFailures(lines).map((line) => line.failures)).toEqual([1])
        vi.setSystemTime(Date.now() + 61_000)
        await app.inject({ url: '/me', headers: bearer(pair.accessToken) })
        // The nine muted failures and this one.
        expect(storeFailures(lines).map((line) => line.failures)).toEqual([1, 10])
      } finally {
        await app.close()
      }
    })

    it('should let checkStore answer 503 before a password is checked, with ping or without', async () => {
      let down = true
      const withPing = Object.assign(new MemoryTokenStore(), {
        ping: async () => {
          if (down) throw new Error('no answer')
        },
      })
      const { app } = await outageApp(withPing)
      try {
        // Right or wrong password, the login answers the same during the outage.
        const res = await app.inject({ method: 'POST', url: '/login', payload: { sub: 'user-1' } })
        expect({ status: res.statusCode, code: res.json().code }).toEqual(unavailable)
        down = false
        await expect(app.tokens.checkStore()).resolves.toBeUndefined()
      } finally {
        await app.close()
      }

      // Without ping: available until a call fails, unavailable until one succeeds again.
      let broken = false
      const plain = new MemoryTokenStore()
      const save = plain.save.bind(plain)
      plain.save = async (hash, record) => {
        if (broken) throw new Error('down')
        return save(hash, record)
      }
      const second = await outageApp(plain)
      try {
        await expect(second.app.tokens.checkStore()).resolves.toBeUndefined()
        broken = true
        await expect(second.app.tokens.issue({ sub: 'u', roles: [] })).rejects.toMatchObject(unavailable)
        await expect(second.app.tokens.checkStore()).rejects.toMatchObject({
          statusCode: 503,
          code: 'TOKEN_STORE_UNAVAILABLE',
        })
        broken = false
        await second.app.tokens.issue({ sub: 'u', roles: [] })
        await expect(second.app.tokens.checkStore()).resolves.toBeUndefined()
      } finally {
        await second.app.close()
      }
    })
  })
})

describeWithRedisServer('auth: token store outages with a private Redis that stops and starts again', () => {
  let redis: PrivateRedis
  beforeAll(async () => {
    redis = await startPrivateRedis()
  })
  afterAll(async () => {
    await redis.stop()
  })

  it('should answer 503 with Retry-After on every route while Redis is down, log it once, and recover', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {}) // connection errors are expected here; the store reports them
    const { app, lines } = await outageApp(new RedisTokenStore(client, { prefix: 'outage:' }))
    try {
      const pair = (await app.inject({ method: 'POST', url: '/login', payload: { sub: 'user-1' } })).json()
      expect((await app.inject({ url: '/me', headers: bearer(pair.accessToken) })).statusCode).toBe(200)

      await redis.stop()
      await expectEveryRouteUnavailable(app, pair.accessToken, pair.refreshToken)
      await expectEveryRouteUnavailable(app, pair.accessToken, pair.refreshToken)
      expect(storeFailures(lines)).toHaveLength(1)
      expect(storeFailures(lines)[0]).toMatchObject({ level: 50, failures: 1 })
      // No 500 and no stack per request anywhere in the log.
      expect(lines.filter((line) => line.level >= 50)).toHaveLength(1)

      await redis.start()
      await vi.waitFor(async () => expect(client.status).toBe('ready'), { timeout: 10_000, interval: 50 })
      // Redis restarted empty (no persistence): the session is gone, but the service answers again.
      const again = await app.inject({ method: 'POST', url: '/login', payload: { sub: 'user-1' } })
      expect(again.statusCode).toBe(200)
      expect(lines.filter((line) => line.event === 'keel.auth.token_store_recovered')).toHaveLength(1)
    } finally {
      await app.close()
      client.disconnect()
    }
  })
})
