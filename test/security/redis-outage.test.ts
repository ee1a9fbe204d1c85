// Limits while Redis is down, as each policy says (failure limits: never unlimited): a private redis-server that
// the test kills and starts again.
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { captureLogs } from '../helpers/logs.js'
import { describeWithRedisServer, type PrivateRedis, startPrivateRedis } from '../helpers/private-redis.js'
import { fieldsByName } from './fields.js'

describeWithRedisServer('security: failure limits while Redis is down', () => {
  let server: PrivateRedis
  const apps: FastifyInstance[] = []
  const clients: Redis[] = []

  function client(): Redis {
    const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    redis.on('error', () => {}) // the outage is the point; ioredis would print every reconnect attempt
    clients.push(redis)
    return redis
  }

  async function build(redis: Redis, stream: Writable | undefined, rateLimit: KeelRateLimitOptions = {}) {
    const app = Fastify(stream === undefined ? {} : { logger: { level: 'info', stream } })
    apps.push(app)
    await app.register(keelErrors)
    await app.register(keelSecurity, { rateLimit: { redis, nameSpace: `outage:${randomUUID()}:`, ...rateLimit } })
    app.post<{ Body: { password: string } }>(
      '/login',
      { config: { security: { failureLimit: { max: 2 } } } },
      async (request, reply) =>
        request.body.password === 'right' ? { ok: true } : reply.code(401).send({ ok: false }),
    )
    await app.ready()
    return app
  }

  const attempt = (app: FastifyInstance, password: string) =>
    app.inject({ method: 'POST', url: '/login', payload: { password } })

  async function statuses(app: FastifyInstance, password: string, times: number): Promise<number[]> {
    const result: number[] = []
    for (let i = 0; i < times; i++) result.push((await attempt(app, password)).statusCode)
    return result
  }

  async function until(redis: Redis, status: 'ready' | 'down'): Promise<void> {
    if (status === 'ready' ? redis.status === 'ready' : redis.status !== 'ready') return
    await once(redis, status === 'ready' ? 'ready' : 'close')
  }

  beforeAll(async () => {
    server = await startPrivateRedis()
  })

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    for (const redis of clients.splice(0)) redis.disconnect()
    await server.start() // a test that stopped it leaves it running for the next one
  })

  afterAll(async () => {
    await server?.stop()
  })

  it('should refuse attempts beyond max on each instance while Redis is down, then share counts again', async () => {
    const { lines, stream } = captureLogs()
    const [redisA, redisB] = [client(), client()]
    const nameSpace = `outage:${randomUUID()}:`
    const a = await build(redisA, stream, { nameSpace })
    const b = await build(redisB, undefined, { nameSpace })
    await Promise.all([until(redisA, 'ready'), until(redisB, 'ready')])

    await server.stop()
    await Promise.all([until(redisA, 'down'), until(redisB, 'down')])
    expect(await statuses(a, 'wrong', 4)).toEqual([401, 401, 429, 429])
    const refused = await attempt(a, 'right')
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    // Each instance counts on its own during the outage: never unlimited, at most max per instance.
    expect(await statuses(b, 'wrong', 3)).toEqual([401, 401, 429])
    const fallback = lines.filter((line) => line.code === 'KEEL_SECURITY_FAILURE_LIMIT_LOCAL')
    expect(fallback).toHaveLength(1)
    expect(fallback[0]?.level).toBe(40)

    await server.start()
    await Promise.all([until(redisA, 'ready'), until(redisB, 'ready')])
    // The restarted Redis is empty: one failure on each instance fills the shared budget of 2.
    expect((await attempt(a, 'wrong')).statusCode).toBe(401)
    expect((await attempt(b, 'wrong')).statusCode).toBe(401)
    expect((await attempt(a, 'right')).statusCode).toBe(429)
    expect(lines.filter((line) => line.code === 'KEEL_SECURITY_FAILURE_LIMIT_SHARED')).toHaveLength(1)
    expect(lines.filter((line) => line.code === 'KEEL_SECURITY_FAILURE_LIMIT_LOCAL')).toHaveLength(1)
  })

  it('should give a successful attempt back to the local counter during the outage', async () => {
    const redis = client()
    const app = await build(redis, undefined)
    await until(redis, 'ready')
    await server.stop()
    await until(redis, 'down')
    expect(await statuses(app, 'right', 5)).toEqual([200, 200, 200, 200, 200])
    expect(await statuses(app, 'wrong', 3)).toEqual([401, 401, 429])
  })

  it('should answer 503 problem documents while Redis is down when skipOnError is false', async () => {
    const redis = client()
    const app = await build(redis, undefined, { skipOnError: false })
    await until(redis, 'ready')
    await server.stop()
    await until(redis, 'down')
    for (const password of ['wrong', 'right']) {
      const started = performance.now()
      const res = await attempt(app, password)
      expect(performance.now() - started).toBeLessThan(2000)
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json()).toMatchObject({
        type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
        status: 503,
        code: 'RATE_LIMIT_UNAVAILABLE',
        // The app's policy fails closed too, in onRequest, before the failure limit is reached.
        'violated-policies': ['default'],
      })
      expect(fieldsByName(res.headers).policy).toEqual({ default: { q: 100, w: 60 } })
      expect(res.headers['retry-after']).toBe('5')
    }
  })

  it('should fail open or closed per policy, and count again when Redis is back', async () => {
    const redis = client()
    const app = Fastify()
    apps.push(app)
    await app.register(keelErrors)
    await app.register(keelSecurity, {
      rateLimit: { redis, nameSpace: `outage:${randomUUID()}:`, policies: [{ name: 'app', max: 100 }] },
    })
    app.get('/items', async () => ({ items: [] }))
    const expensive = { name: 'expensive', max: 10, skipOnError: false }
    app.get('/export', { config: { security: { rateLimit: ['app', expensive] } } }, async () => 'exported')
    await until(redis, 'ready')
    expect(fieldsByName((await app.inject('/export')).headers).limit).toEqual({
      app: { r: 99, t: 60 },
      expensive: { r: 9, t: 60 },
    })

    await server.stop()
    await until(redis, 'down')
    const open = await app.inject('/items')
    expect(open.statusCode).toBe(200)
    expect(open.headers.ratelimit).toBeUndefined()
    const started = performance.now()
    const closed = await app.inject('/export')
    expect(performance.now() - started).toBeLessThan(2000)
    expect(closed.statusCode).toBe(503)
    expect(closed.headers['content-type']).toContain('application/problem+json')
    expect(closed.json()).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      status: 503,
      code: 'RATE_LIMIT_UNAVAILABLE',
      'violated-policies': ['expensive'],
    })
    expect(closed.headers['retry-after']).toBe('5')
    expect(fieldsByName(closed.headers)).toEqual({
      policy: { expensive: { q: 10, w: 60 } },
      limit: { expensive: { r: 0, t: 5 } },
    })

    // The restarted Redis is empty and knows no script: the first check sends it again.
    await server.start()
    await until(redis, 'ready')
    expect(fieldsByName((await app.inject('/export')).headers).limit).toEqual({
      app: { r: 99, t: 60 },
      expensive: { r: 9, t: 60 },
    })
  })
})
