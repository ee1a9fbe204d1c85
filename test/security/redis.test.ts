import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import type { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { captureLogs } from '../helpers/logs.js'
import { describeWithRedis } from '../helpers/services.js'
import { fieldsByName, rateLimitFields } from './fields.js'

describeWithRedis('security: rate limits in Redis', (redisUrl) => {
  const apps: FastifyInstance[] = []
  const clients: Redis[] = []
  const nameSpace = `keel-test:security:${randomUUID()}:`
  let admin: Redis

  function client(url: string | number, options: RedisOptions = {}): Redis {
    const redis = typeof url === 'number' ? new Redis(url, '127.0.0.1', options) : new Redis(url, options)
    redis.on('error', () => {}) // outages are the point of some tests; ioredis would print each one
    clients.push(redis)
    return redis
  }

  async function build(rateLimit: KeelRateLimitOptions, stream?: Writable) {
    const app = Fastify(stream === undefined ? {} : { logger: { level: 'info', stream } })
    apps.push(app)
    await app.register(keelSecurity, { rateLimit: { nameSpace, storeTimeout: 200, ...rateLimit } })
    app.get('/items', async () => ({ items: [] }))
    app.post<{ Body: { password: string } }>(
      '/login',
      { config: { security: { rateLimit: false, failureLimit: { max: 2 } } } },
      async (request, reply) =>
        request.body.password === 'right' ? { ok: true } : reply.code(401).send({ ok: false }),
    )
    return app
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now()
    const result = await work()
    return { result, ms: performance.now() - started }
  }

  /** A TCP server that accepts connections and never answers: a hung Redis. */
  async function blackHole(): Promise<{ port: number; server: Server; sockets: Socket[] }> {
    const sockets: Socket[] = []
    const server = createServer((socket) => sockets.push(socket))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    return { port: address.port, server, sockets }
  }

  async function closedPort(): Promise<number> {
    const { port, server } = await blackHole()
    server.close()
    await once(server, 'close')
    return port
  }

  beforeAll(() => {
    admin = new Redis(redisUrl)
  })

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    for (const redis of clients.splice(0)) redis.disconnect()
  })

  afterAll(async () => {
    const keys = await admin.keys(`${nameSpace}*`)
    if (keys.length > 0) await admin.del(...keys)
    await admin.quit()
  })

  it('should share one budget between two instances', async () => {
    const budget = `${nameSpace}shared:`
    const first = await build({ redis: client(redisUrl), nameSpace: budget })
    const second = await build({ redis: client(redisUrl), nameSpace: budget })
    const urls = [
      await first.listen({ port: 0, host: '127.0.0.1' }),
      await second.listen({ port: 0, host: '127.0.0.1' }),
    ]
    for (let batch = 0; batch < 4; batch++) {
      const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => fetch(`${urls[i % 2]}/items`)))
      expect(responses.map((res) => res.status)).toEqual(Array(25).fill(200))
    }
    for (const url of urls) {
      const limited = await fetch(`${url}/items`)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('ratelimit-policy')).toBe('"default";q=100;w=60')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(((await limited.json()) as { code: string }).code).toBe('RATE_LIMITED')
    }
  })

  it('should share failed-attempt counts between instances', async () => {
    const budget = `${nameSpace}failures:`
    const first = await build({ redis: client(redisUrl), nameSpace: budget })
    const second = await build({ redis: client(redisUrl), nameSpace: budget })
    const attempt = (app: FastifyInstance, password: string) =>
      app.inject({ method: 'POST', url: '/login', payload: { password } })
    expect((await attempt(first, 'right')).statusCode).toBe(200)
    expect((await attempt(first, 'wrong')).statusCode).toBe(401)
    expect((await attempt(second, 'wrong')).statusCode).toBe(401)
    expect((await attempt(first, 'right')).statusCode).toBe(429)
    expect((await attempt(second, 'right')).statusCode).toBe(429)
  })

  it('should run the handler at most max times for a burst of parallel wrong attempts on two instances', async () => {
    const budget = `${nameSpace}burst:`
    const attempts = 40
    let handlerRuns = 0
    let refused = 0
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const settled = () => {
      if (handlerRuns + refused === attempts) release()
    }
    const instances = [
      await build({ redis: client(redisUrl), nameSpace: budget }),
      await build({ redis: client(redisUrl), nameSpace: budget }),
    ]
    for (const app of instances) {
      app.post(
        '/slow-login',
        { config: { security: { rateLimit: false, failureLimit: { max: 3 } } } },
        async function slowLogin(_request, reply) {
          handlerRuns++
          settled()
          await gate
          return reply.code(401).send({ ok: false })
        },
      )
    }
    const statuses = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        instances[i % 2]!.inject({ method: 'POST', url: '/slow-login', payload: {} }).then((res) => {
          if (res.statusCode === 429) {
            refused++
            settled()
          }
          return res.statusCode
        }),
      ),
    )
    expect(handlerRuns).toBe(3)
    expect(statuses.filter((status) => status === 401)).toHaveLength(3)
    expect(statuses.filter((status) => status === 429)).toHaveLength(attempts - 3)
  })

  it('should give successful attempts back in Redis', async () => {
    const first = await build({ redis: client(redisUrl), nameSpace: `${nameSpace}give-back:` })
    const attempt = (password: string) => first.inject({ method: 'POST', url: '/login', payload: { password } })
    for (let i = 0; i < 5; i++) expect((await attempt('right')).statusCode).toBe(200)
    expect((await attempt('wrong')).statusCode).toBe(401)
    expect((await attempt('right')).statusCode).toBe(200)
    expect((await attempt('wrong')).statusCode).toBe(401)
    expect((await attempt('right')).statusCode).toBe(429)
    const keys = await admin.keys(`${nameSpace}give-back:failures:*`)
    expect(keys).toHaveLength(1)
    expect(await admin.get(keys[0]!)).toBe('2')
    expect(await admin.pttl(keys[0]!)).toBeGreaterThan(0)
  })

  it('should fail open within the store timeout when Redis never answers', async () => {
    const hole = await blackHole()
    try {
      const { lines, stream } = captureLogs()
      const app = await build({ redis: client(hole.port) }, stream)
      for (let i = 0; i < 3; i++) {
        const { result, ms } = await timed(() => app.inject('/items'))
        expect(result.statusCode).toBe(200)
        expect(ms).toBeLessThan(1500)
      }
      expect(lines.filter((line) => line.level === 50)).toHaveLength(1)
    } finally {
      for (const socket of hole.sockets) socket.destroy()
      hole.server.close()
    }
  })

  it('should keep failure limits, counted in memory, within the store timeout when Redis never answers', async () => {
    const hole = await blackHole()
    try {
      const { lines, stream } = captureLogs()
      const app = await build({ redis: client(hole.port) }, stream)
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        const { result, ms } = await timed(() =>
          app.inject({ method: 'POST', url: '/login', payload: { password: 'x' } }),
        )
        statuses.push(result.statusCode)
        expect(ms).toBeLessThan(1500)
      }
      expect(statuses).toEqual([401, 401, 429])
      expect(lines.filter((line) => line.code === 'KEEL_SECURITY_FAILURE_LIMIT_LOCAL')).toHaveLength(1)
    } finally {
      for (const socket of hole.sockets) socket.destroy()
      hole.server.close()
    }
  })

  it('should fail open and log once when Redis is on a closed port', async () => {
    const { lines, stream } = captureLogs()
    const app = await build({ redis: client(await closedPort()) }, stream)
    for (let i = 0; i < 5; i++) {
      const { result, ms } = await timed(() => app.inject('/items'))
      expect(result.statusCode).toBe(200)
      expect(ms).toBeLessThan(1500)
    }
    const errors = lines.filter((line) => line.level === 50)
    expect(errors).toHaveLength(1)
    expect(String(errors[0]?.msg)).toContain('rate-limit store')
  })

  it('should answer 503 when Redis is on a closed port and skipOnError is false', async () => {
    const app = await build({ redis: client(await closedPort()), skipOnError: false })
    const { result, ms } = await timed(() => app.inject('/items'))
    expect(result.statusCode).toBe(503)
    expect(result.json()).toMatchObject({ code: 'RATE_LIMIT_UNAVAILABLE' })
    expect(ms).toBeLessThan(1500)
  })

  it('should list every policy that could not be checked in the headers of a 503', async () => {
    const policies = [
      { name: 'burst', max: 10, timeWindow: '1 s' },
      { name: 'hourly', max: 500, timeWindow: '1 hour' },
    ]
    const app = await build({ redis: client(await closedPort()), skipOnError: false, policies })
    const res = await app.inject('/items')
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'RATE_LIMIT_UNAVAILABLE' })
    expect(rateLimitFields(res.headers)).toEqual({
      policy: [
        { name: 'burst', params: { q: 10, w: 1 } },
        { name: 'hourly', params: { q: 500, w: 3600 } },
      ],
      limit: [
        { name: 'burst', params: { r: 0, t: 5 } },
        { name: 'hourly', params: { r: 0, t: 5 } },
      ],
    })
  })

  it('should describe the failure limit in its 503 when Redis is on a closed port and skipOnError is false', async () => {
    const app = await build({ redis: client(await closedPort()), skipOnError: false })
    const res = await app.inject({ method: 'POST', url: '/login', payload: { password: 'x' } })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'RATE_LIMIT_UNAVAILABLE' })
    expect(fieldsByName(res.headers)).toEqual({
      policy: { failures: { q: 2, w: 900 } },
      limit: { failures: { r: 0, t: 5 } },
    })
  })

  it.each([
    [true, 200],
    [false, 503],
  ])('should follow skipOnError=%s when the connection is killed mid-run', async (skipOnError, status) => {
    const { lines, stream } = captureLogs()
    const redis = client(redisUrl, { retryStrategy: () => null })
    const app = await build({ redis, skipOnError, nameSpace: `${nameSpace}kill-${String(skipOnError)}:` }, stream)
    const before = await app.inject('/items')
    expect(before.statusCode).toBe(200)
    expect(before.headers.ratelimit).toBe('"default";r=99;t=60')
    const id = await redis.client('ID')
    const ended = once(redis, 'end')
    await admin.client('KILL', 'ID', String(id))
    await ended
    const { result, ms } = await timed(() => app.inject('/items'))
    expect(result.statusCode).toBe(status)
    expect(ms).toBeLessThan(1500)
    expect(lines.filter((line) => line.level === 50 && String(line.msg).includes('rate-limit store'))).toHaveLength(1)
  })

  it('should log one line when Redis answers again', async () => {
    const { lines, stream } = captureLogs()
    const redis = client(redisUrl, { lazyConnect: true })
    const app = await build({ redis, nameSpace: `${nameSpace}recover:` }, stream)
    redis.disconnect()
    expect((await app.inject('/items')).statusCode).toBe(200)
    await redis.connect()
    expect((await app.inject('/items')).headers.ratelimit).toBe('"default";r=99;t=60')
    expect(lines.filter((line) => String(line.msg).includes('answers again'))).toHaveLength(1)
  })
})
