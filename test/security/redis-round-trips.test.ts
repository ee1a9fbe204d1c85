// One Redis round trip per check whatever the number of policies, counted by a private redis-server's
// MONITOR (no other client talks to it), and none for a client whose block this instance knows.
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeWithRedisServer, type PrivateRedis, startPrivateRedis } from '../helpers/private-redis.js'

describeWithRedisServer('security: Redis round trips of the rate limits', () => {
  let server: PrivateRedis
  let admin: Redis
  let control: Redis
  const apps: FastifyInstance[] = []
  const clients: Redis[] = []

  async function build(rateLimit: KeelRateLimitOptions) {
    const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    clients.push(redis)
    if (redis.status !== 'ready') await once(redis, 'ready')
    const app = Fastify()
    apps.push(app)
    await app.register(keelSecurity, { rateLimit: { ...rateLimit, redis } })
    app.get('/items', async () => ({ items: [] }))
    return app
  }

  /**
   * Commands clients sent while `work` ran, by name, as MONITOR reports them (commands a script runs are
   * reported with the source "lua" and left out). A marker command, awaited on the monitor, ends the count.
   */
  async function commandsDuring(work: () => Promise<void>): Promise<Record<string, number>> {
    const monitor = await admin.monitor()
    const sent: Record<string, number> = {}
    const marker = `end-${randomUUID()}`
    const ended = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        const name = String(args[0]).toLowerCase()
        if (name === 'echo' && args[1] === marker) resolve()
        else if (source !== 'lua') sent[name] = (sent[name] ?? 0) + 1
      })
    })
    await work()
    await control.echo(marker)
    await ended
    monitor.disconnect()
    return sent
  }

  async function requests(app: FastifyInstance, count: number, url = '/items'): Promise<number[]> {
    const statuses: number[] = []
    for (let i = 0; i < count; i++) statuses.push((await app.inject(url)).statusCode)
    return statuses
  }

  beforeAll(async () => {
    server = await startPrivateRedis()
    admin = new Redis(server.url)
    control = new Redis(server.url)
  })

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    for (const redis of clients.splice(0)) redis.disconnect()
  })

  afterAll(async () => {
    await admin?.quit()
    await control?.quit()
    await server?.stop()
  })

  it.each([1, 2, 5])('should check %i policies in one EVALSHA per request', async (count) => {
    const policies = Array.from({ length: count }, (_, i) => ({
      name: `p${i}`,
      max: 1000,
      algorithm: i % 2 === 0 ? ('fixed' as const) : ('sliding' as const),
    }))
    const app = await build({ policies, nameSpace: `trips-${count}:` })
    await requests(app, 1) // the first call after a start loads the script (NOSCRIPT, then EVAL)
    const ran = await commandsDuring(async () => {
      expect(await requests(app, 20)).toEqual(Array(20).fill(200))
    })
    expect(ran).toEqual({ evalsha: 20 })
  })

  it('should send the script again, once, after Redis forgot it', async () => {
    const app = await build({ max: 1000, nameSpace: 'trips-flush:' })
    await requests(app, 1)
    await admin.script('FLUSH')
    const ran = await commandsDuring(async () => {
      expect(await requests(app, 5)).toEqual(Array(5).fill(200))
    })
    expect(ran).toEqual({ evalsha: 5, eval: 1 })
  })

  it('should cost one round trip per hook on a route with onRequest and preHandler policies', async () => {
    const app = await build({
      policies: [
        { name: 'per-ip', max: 1000 },
        { name: 'per-user', max: 1000, hook: 'preHandler', keyGenerator: () => 'user-1' },
      ],
      nameSpace: 'trips-hooks:',
    })
    await requests(app, 1)
    const ran = await commandsDuring(async () => {
      expect(await requests(app, 10)).toEqual(Array(10).fill(200))
    })
    expect(ran).toEqual({ evalsha: 20 })
  })

  it('should refuse a client whose block this instance knows of without a round trip', async () => {
    const app = await build({ max: 2, blockDuration: '10 minutes', nameSpace: 'trips-block:' })
    expect(await requests(app, 3)).toEqual([200, 200, 429])
    const ran = await commandsDuring(async () => {
      expect(await requests(app, 10)).toEqual(Array(10).fill(429))
    })
    expect(ran).toEqual({})
  })
})
