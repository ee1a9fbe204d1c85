import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type HealthDocument, type KeelHealthOptions, keelHealth } from 'fastify-keel/health'
import { afterEach, describe, expect, it, vi } from 'vitest'

const apps: FastifyInstance[] = []

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

// Every sample is over a 1-byte heap limit, so the app is under pressure from its first sample on.
const overHeapLimit = { maxHeapUsedBytes: 1, sampleInterval: 50, retryAfter: '7s' }

async function build(options: KeelHealthOptions, setup?: (app: FastifyInstance) => unknown) {
  const app = Fastify()
  apps.push(app)
  await setup?.(app)
  await app.register(keelHealth, options)
  app.get('/ping', async () => ({ pong: true }))
  await app.ready()
  return app
}

async function underPressureNow(app: FastifyInstance) {
  await vi.waitFor(() => expect(app.isUnderPressure()).toBe(true), { timeout: 5000, interval: 5 })
}

function busyWait(ms: number) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // block the event loop on purpose
  }
}

describe('health', () => {
  describe('load shedding', () => {
    it('should answer other routes 503 SERVICE_OVERLOADED with Retry-After while over a limit', async () => {
      const app = await build({ underPressure: overHeapLimit })
      await underPressureNow(app)
      const res = await app.inject('/ping')
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('7')
      expect(res.json()).toMatchObject({ statusCode: 503, code: 'SERVICE_OVERLOADED' })
    })

    it('should answer /health/live 503 with a health document naming the measurement', async () => {
      const app = await build({ underPressure: overHeapLimit, version: '1.0.0' })
      await underPressureNow(app)
      const res = await app.inject('/health/live')
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect(res.headers['retry-after']).toBeUndefined()
      const doc = res.json() as HealthDocument
      expect(doc).toMatchObject({ status: 'fail', version: '1.0.0' })
      expect(doc.checks?.['memory:heapUsed']?.[0]).toMatchObject({ status: 'fail', observedUnit: 'bytes' })
      expect(doc.checks?.['memory:heapUsed']?.[0]?.observedValue).toBeGreaterThan(1)
    })

    it('should answer /health/ready 503 with Retry-After without running the checks', async () => {
      const check = vi.fn(async () => {})
      const app = await build({ underPressure: overHeapLimit })
      app.health.addCheck('database', check)
      await underPressureNow(app)
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect(res.headers['retry-after']).toBe('7')
      expect((res.json() as HealthDocument).status).toBe('fail')
      expect(check).not.toHaveBeenCalled()
    })

    it('should send a problem document when keelErrors is registered', async () => {
      const app = await build({ underPressure: overHeapLimit }, (a) => a.register(keelErrors))
      await underPressureNow(app)
      const res = await app.inject('/ping')
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['retry-after']).toBe('7')
      expect(res.json()).toMatchObject({
        status: 503,
        code: 'SERVICE_OVERLOADED',
        type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      })
    })

    it('should keep answering the probes with health documents when keelErrors is registered', async () => {
      const app = await build({ underPressure: overHeapLimit }, (a) => a.register(keelErrors))
      app.health.addCheck('database', async () => {})
      await underPressureNow(app)
      for (const url of ['/health/live', '/health/ready']) {
        const res = await app.inject(url)
        expect(res.statusCode).toBe(503)
        expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
        expect((res.json() as HealthDocument).status).toBe('fail')
      }
    })

    it('should shed over a real connection too', async () => {
      const app = await build({ underPressure: overHeapLimit })
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      await underPressureNow(app)
      const [ping, live] = await Promise.all([fetch(`${address}/ping`), fetch(`${address}/health/live`)])
      expect(ping.status).toBe(503)
      expect(ping.headers.get('retry-after')).toBe('7')
      expect(live.status).toBe(503)
      expect(live.headers.get('content-type')).toBe('application/health+json; charset=utf-8')
      await Promise.all([ping.arrayBuffer(), live.arrayBuffer()])
    })

    it('should shed every route, and fail the probes, while the event loop is blocked longer than maxEventLoopDelay', async () => {
      const app = await build({
        underPressure: { maxEventLoopDelay: 40, sampleInterval: 100, retryAfter: '3 seconds' },
      })
      expect((await app.inject('/ping')).statusCode).toBe(200)
      expect(app.isUnderPressure()).toBe(false)

      busyWait(800)
      await underPressureNow(app)
      const [ping, live, ready] = await Promise.all([
        app.inject('/ping'),
        app.inject('/health/live'),
        app.inject('/health/ready'),
      ])
      expect(ping.statusCode).toBe(503)
      expect(ping.headers['retry-after']).toBe('3')
      expect(ping.json()).toMatchObject({ code: 'SERVICE_OVERLOADED' })
      expect(live.statusCode).toBe(503)
      expect(live.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect((live.json() as HealthDocument).checks?.['eventLoop:delay']?.[0]?.observedUnit).toBe('ms')
      expect(ready.statusCode).toBe(503)

      // Pressure is sampled: once the loop runs freely again, the next samples clear it.
      await vi.waitFor(() => expect(app.isUnderPressure()).toBe(false), { timeout: 5000, interval: 20 })
      expect((await app.inject('/ping')).statusCode).toBe(200)
      expect((await app.inject('/health/live')).statusCode).toBe(200)
    })

    it('should not shed with the default limits on an idle process', async () => {
      const app = await build({})
      expect((await app.inject('/ping')).statusCode).toBe(200)
      expect((await app.inject('/health/live')).statusCode).toBe(200)
      expect(app.isUnderPressure()).toBe(false)
    })

    it('should hand shed requests to a pressureHandler instead when one is given', async () => {
      const pressureHandler = vi.fn((_request: unknown, reply: FastifyReply) => {
        reply.code(200).header('x-degraded', '1')
      })
      const app = await build({ underPressure: { ...overHeapLimit, pressureHandler } })
      await underPressureNow(app)
      const res = await app.inject('/ping')
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-degraded']).toBe('1')
      expect(pressureHandler).toHaveBeenCalledWith(
        expect.anything(),
        expect.anything(),
        'heapUsedBytes',
        expect.any(Number),
      )
      // The probes keep their own behaviour.
      expect((await app.inject('/health/live')).statusCode).toBe(503)
    })

    it('should honour a per-route pressureHandler in route config', async () => {
      const app = await build({ underPressure: overHeapLimit }, (a) => {
        const config = { pressureHandler: () => undefined }
        a.get('/critical', { config }, async () => ({ served: true }))
      })
      await underPressureNow(app)
      expect((await app.inject('/critical')).statusCode).toBe(200)
      expect((await app.inject('/ping')).statusCode).toBe(503)
    })

    it('should not register under-pressure with underPressure: false', async () => {
      const app = await build({ underPressure: false })
      expect(app.hasDecorator('isUnderPressure')).toBe(false)
      expect((await app.inject('/ping')).statusCode).toBe(200)
    })

    it('should refuse to register under-pressure twice', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(underPressure, {})
      await expect(app.register(keelHealth, {})).rejects.toMatchObject({
        code: 'KEEL_ERR_HEALTH_UNDER_PRESSURE_CONFLICT',
      })
    })

    it('should report pressure from your own under-pressure registration with underPressure: false', async () => {
      const app = await build({ underPressure: false }, (a) =>
        a.register(underPressure, { maxHeapUsedBytes: 1, sampleInterval: 50 }),
      )
      await underPressureNow(app)
      const live = await app.inject('/health/live')
      expect(live.statusCode).toBe(503)
      expect(live.headers['content-type']).toBe('application/health+json; charset=utf-8')
    })
  })
})
