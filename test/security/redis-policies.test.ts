// Named policies shared by two instances through the real Redis: exact counts under concurrency, the sliding
// window's edge, blocks shared between instances.
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeWithRedis } from '../helpers/services.js'
import { fieldsByName } from './fields.js'

describeWithRedis('security: named policies in Redis', (redisUrl) => {
  const apps: FastifyInstance[] = []
  const clients: Redis[] = []
  const prefix = `keel-test:security-policies:${randomUUID()}:`
  let admin: Redis

  async function instance(rateLimit: KeelRateLimitOptions, nameSpace: string) {
    const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    clients.push(redis)
    if (redis.status !== 'ready') await once(redis, 'ready')
    const app = Fastify()
    apps.push(app)
    await app.register(keelErrors)
    await app.register(keelSecurity, { rateLimit: { ...rateLimit, redis, nameSpace } })
    app.get('/items', async () => ({ items: [] }))
    return app
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  beforeAll(async () => {
    admin = new Redis(redisUrl)
  })

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    for (const redis of clients.splice(0)) redis.disconnect()
  })

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`)
    if (keys.length > 0) await admin.del(...keys)
    await admin.quit()
  })

  it('should share several policies exactly between two instances under concurrency', async () => {
    const nameSpace = `${prefix}shared:`
    const rateLimit: KeelRateLimitOptions = {
      policies: [
        { name: 'burst', max: 10, timeWindow: '1 s', algorithm: 'sliding' },
        { name: 'hourly', max: 25, timeWindow: '1 hour' },
      ],
    }
    const pair = [await instance(rateLimit, nameSpace), await instance(rateLimit, nameSpace)]
    const urls = await Promise.all(pair.map((app) => app.listen({ port: 0, host: '127.0.0.1' })))
    const wave = async () => {
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${urls[i % 2]}/items`)))
      await Promise.all(responses.map((res) => res.arrayBuffer()))
      return responses
    }
    const served: number[] = []
    let hourlyLeft: number[] = []
    let waitMs = 0
    for (const [i, expected] of [10, 10, 5].entries()) {
      if (i > 0) await sleep(waitMs)
      const responses = await wave()
      const ok = responses.filter((res) => res.status === 200)
      expect(ok).toHaveLength(expected)
      served.push(ok.length)
      // Counted atomically: each served request saw its own remaining quota, none twice.
      hourlyLeft = ok.map((res) => Number(fieldsByName(res.headers).limit.hourly?.r)).sort((a, b) => a - b)
      expect(new Set(hourlyLeft).size).toBe(expected)
      // The 429 says when the first unit comes back (whole seconds, rounded up); the whole burst quota is back one
      // window and one bucket after the wave, even when the wave's requests fell into two buckets.
      const retryAfter = Number(responses.find((res) => res.status === 429)?.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThanOrEqual(1)
      waitMs = 1000 + 100 + 100 // a window, a bucket (a tenth of it), a margin
    }
    expect(served.reduce((a, b) => a + b)).toBe(25)
    expect(hourlyLeft).toEqual([0, 1, 2, 3, 4])
    const last = await fetch(`${urls[1]}/items`)
    expect(last.status).toBe(429)
    expect(((await last.json()) as Record<string, unknown>)['violated-policies']).toEqual(['hourly'])
  })

  it('should not let a sliding window accept a second quota across the edge of a fixed one', async () => {
    const nameSpace = `${prefix}edge:`
    const app = await instance({ policies: [{ name: 'app', max: 1000 }] }, nameSpace)
    const own = (algorithm: 'fixed' | 'sliding') => ({ name: algorithm, max: 10, timeWindow: '3 s', algorithm })
    app.get('/fixed', { config: { security: { rateLimit: own('fixed') } } }, async () => 'ok')
    app.get('/sliding', { config: { security: { rateLimit: own('sliding') } } }, async () => 'ok')
    const served = async (url: string, count: number) => {
      const responses = await Promise.all(Array.from({ length: count }, () => app.inject(url)))
      return responses.filter((res) => res.statusCode === 200).length
    }
    const started = Date.now()
    const until = (ms: number) => sleep(Math.max(0, started + ms - Date.now()))
    // The fixed window starts with the first request; 9 more 600 ms before its end, 10 600 ms after it.
    const first = [await served('/fixed', 1), await served('/sliding', 1)]
    await until(2400)
    const beforeEdge = [await served('/fixed', 9), await served('/sliding', 9)]
    await until(3600)
    const afterEdge = [await served('/fixed', 10), await served('/sliding', 10)]
    expect(first).toEqual([1, 1])
    expect(beforeEdge).toEqual([9, 9])
    // Fixed: 19 requests within 1.2 s of a 3 s window. Sliding: the 9 of 2400 ms still count, so at most 1 more.
    expect(afterEdge[0]! + beforeEdge[0]!).toBe(19)
    expect(afterEdge[1]! + beforeEdge[1]!).toBeLessThanOrEqual(10)
    // And the sliding window gives its quota back once the burst of 2400 ms has left it.
    await until(6600)
    expect(await served('/sliding', 10)).toBeGreaterThanOrEqual(9)
  })

  it('should share a block between instances, and keep a blocked client off Redis', async () => {
    const nameSpace = `${prefix}block:`
    const rateLimit: KeelRateLimitOptions = { max: 2, blockDuration: '10 minutes' }
    const first = await instance(rateLimit, nameSpace)
    const second = await instance(rateLimit, nameSpace)
    expect((await first.inject('/items')).statusCode).toBe(200)
    expect((await second.inject('/items')).statusCode).toBe(200)
    const blocked = await first.inject('/items')
    expect(blocked.statusCode).toBe(429)
    expect(blocked.headers['retry-after']).toBe('600')
    // The second instance never refused this client itself: Redis tells it about the block.
    const elsewhere = await second.inject('/items')
    expect(elsewhere.statusCode).toBe(429)
    expect(Number(elsewhere.headers['retry-after'])).toBeGreaterThan(595)
    expect(fieldsByName(elsewhere.headers).limit.default?.r).toBe(0)
    const [key] = await admin.keys(`${nameSpace}*`)
    expect(await admin.pttl(key!)).toBeGreaterThan(595_000)
    // From now on the block is in the second instance's memory: deleting it in Redis changes nothing there.
    await admin.del(key!)
    expect((await second.inject('/items')).statusCode).toBe(429)
    expect((await second.inject({ url: '/items', remoteAddress: '10.0.0.2' })).statusCode).toBe(200)
  })
})
