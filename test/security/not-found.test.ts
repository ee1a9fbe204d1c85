// Requests that match no route use up the app-wide budget, so scanning for routes is limited like any traffic.
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { describeWithRedis } from '../helpers/services.js'
import { fieldsByName } from './fields.js'

const apps: FastifyInstance[] = []

async function build(rateLimit: KeelRateLimitOptions) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelErrors)
  await app.register(keelSecurity, { rateLimit })
  app.get('/items', async () => ({ items: [] }))
  return app
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function notFoundSuite(store: () => Pick<KeelRateLimitOptions, 'redis' | 'nameSpace'>) {
  it('should answer 429 to a client that scans for routes', async () => {
    const app = await build({ max: 3, ...store() })
    const scanned = []
    for (const path of ['/admin', '/.env', '/wp-login.php']) scanned.push(await app.inject(path))
    expect(scanned.map((res) => res.statusCode)).toEqual([404, 404, 404])
    expect(scanned.map((res) => fieldsByName(res.headers).limit.default?.r)).toEqual([2, 1, 0])
    const limited = await app.inject('/backup.zip')
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', 'violated-policies': ['default'] })
    expect(limited.headers['retry-after']).toBe('60')
  })

  it('should count 404s and route requests against one budget', async () => {
    const app = await build({ max: 2, ...store() })
    expect((await app.inject('/missing')).statusCode).toBe(404)
    expect((await app.inject('/items')).statusCode).toBe(200)
    expect((await app.inject('/items')).statusCode).toBe(429)
    expect((await app.inject('/missing')).statusCode).toBe(429)
  })

  it('should count 404s against every onRequest policy of the app, and show each in the headers', async () => {
    const app = await build({
      policies: [
        { name: 'burst', max: 2, timeWindow: '1 s' },
        { name: 'hourly', max: 50, timeWindow: '1 hour' },
        { name: 'per-user', max: 1, hook: 'preHandler', keyGenerator: () => 'someone' },
      ],
      ...store(),
    })
    const missing = await app.inject('/missing')
    expect(missing.statusCode).toBe(404)
    expect(fieldsByName(missing.headers)).toEqual({
      policy: { burst: { q: 2, w: 1 }, hourly: { q: 50, w: 3600 } },
      limit: { burst: { r: 1, t: 1 }, hourly: { r: 49, t: 3600 } },
    })
    expect((await app.inject('/items')).statusCode).toBe(200)
    const limited = await app.inject('/missing')
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({ 'violated-policies': ['burst'] })
  })

  it('should leave 404s uncounted with notFound: false', async () => {
    const app = await build({ max: 1, notFound: false, ...store() } as KeelRateLimitOptions)
    for (let i = 0; i < 3; i++) {
      const res = await app.inject('/missing')
      expect(res.statusCode).toBe(404)
      expect(res.headers.ratelimit).toBeUndefined()
    }
    expect((await app.inject('/items')).statusCode).toBe(200)
  })
}

describe('security', () => {
  describe('rate limit on requests that match no route (memory)', () => {
    notFoundSuite(() => ({}))

    it('should keep the CORS headers on the 429 of a request that matches no route', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelErrors)
      await app.register(keelSecurity, { cors: { origins: ['https://app.example.com'] }, rateLimit: { max: 1 } })
      const missing = () => app.inject({ url: '/missing', headers: { origin: 'https://app.example.com' } })
      expect((await missing()).statusCode).toBe(404)
      const limited = await missing()
      expect(limited.statusCode).toBe(429)
      expect(limited.headers['access-control-allow-origin']).toBe('https://app.example.com')
      expect(limited.headers['x-content-type-options']).toBe('nosniff')
    })
  })
})

describeWithRedis('security: rate limit on requests that match no route (Redis)', (redisUrl) => {
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  const prefix = `keel-test:security-404:${randomUUID()}:`

  beforeAll(async () => {
    if (redis.status !== 'ready') await once(redis, 'ready')
  })

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  notFoundSuite(() => ({ redis, nameSpace: `${prefix}${randomUUID()}:` }))
})
