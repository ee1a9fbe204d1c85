import { createServer } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { type HealthDocument, keelHealth } from 'fastify-keel/health'
import { Redis } from 'ioredis'
import { afterEach, expect, it, vi } from 'vitest'
import { describeWithRedis } from '../helpers/services.js'

const apps: FastifyInstance[] = []

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** The check from docs/health.md: a PING with its round trip as the observed value. */
function redisCheck(redis: Redis) {
  return async () => {
    const started = performance.now()
    await redis.ping()
    return { observedValue: Math.round((performance.now() - started) * 100) / 100, observedUnit: 'ms' }
  }
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function build(redis: Redis, timeout: number) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelHealth, { underPressure: false, cacheTtl: 0 })
  app.health.addCheck('redis', redisCheck(redis), { timeout, onClose: () => redis.disconnect() })
  return app
}

describeWithRedis('health', (url) => {
  it('should pass a real Redis PING check', async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    await redis.connect()
    const app = await build(redis, 1000)
    const res = await app.inject('/health/ready')
    expect(res.statusCode).toBe(200)
    const entry = (res.json() as HealthDocument).checks?.redis?.[0]
    expect(entry).toMatchObject({ status: 'pass', observedUnit: 'ms' })
    expect(typeof entry?.observedValue).toBe('number')
    await app.close()
    await vi.waitFor(() => expect(redis.status).toBe('end'), { timeout: 2000 })
  })

  it('should fail a Redis check against a closed port within its timeout, then stop reconnecting on close', async () => {
    const port = await closedPort()
    const errors: unknown[] = []
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    redis.on('error', (err) => errors.push(err))
    const app = await build(redis, 300)

    const started = Date.now()
    const res = await app.inject('/health/ready')
    expect(Date.now() - started).toBeLessThan(1500)
    expect(res.statusCode).toBe(503)
    const entry = (res.json() as HealthDocument).checks?.redis?.[0]
    expect(entry?.status).toBe('fail')
    expect(entry?.output).not.toMatch(/\n|redis:\/\//)

    await app.close()
    await vi.waitFor(() => expect(redis.status).toBe('end'), { timeout: 2000 })
  })
})
