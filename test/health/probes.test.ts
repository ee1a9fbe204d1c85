import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import { type HealthDocument, type KeelHealthOptions, keelHealth } from 'fastify-keel/health'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { captureLogs } from '../helpers/logs.js'

const apps: FastifyInstance[] = []

async function build(options: KeelHealthOptions = {}, setup?: (app: FastifyInstance) => void | Promise<void>) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelHealth, { underPressure: false, ...options })
  await setup?.(app)
  return app
}

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function body(response: { json: () => unknown }): HealthDocument {
  return response.json() as HealthDocument
}

describe('health', () => {
  describe('liveness', () => {
    it('should answer 200 with a health+json pass document', async () => {
      const app = await build({ version: '1.2.3' })
      const res = await app.inject('/health/live')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toEqual({ status: 'pass', version: '1.2.3' })
    })

    it('should never run dependency checks', async () => {
      const check = vi.fn(async () => {
        throw new Error('database down')
      })
      const app = await build()
      app.health.addCheck('database', check)
      const res = await app.inject('/health/live')
      expect(res.statusCode).toBe(200)
      expect(check).not.toHaveBeenCalled()
    })

    it('should serve the probes under a custom prefix', async () => {
      const app = await build({ prefix: '/_/probes' })
      expect((await app.inject('/_/probes/live')).statusCode).toBe(200)
      expect((await app.inject('/_/probes/ready')).statusCode).toBe(200)
      expect((await app.inject('/health/live')).statusCode).toBe(404)
    })

    it('should answer HEAD probes', async () => {
      const app = await build()
      const res = await app.inject({ method: 'HEAD', url: '/health/ready' })
      expect(res.statusCode).toBe(200)
      expect(res.body).toBe('')
    })
  })

  describe('readiness', () => {
    it('should pass with no checks', async () => {
      const app = await build()
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect(res.json()).toEqual({ status: 'pass', checks: {} })
    })

    it('should report every check with status, time and observed values', async () => {
      const app = await build({ version: '2.0.0' })
      app.health.addCheck('database', async () => {})
      app.health.addCheck('cache', async () => ({ observedValue: 3, observedUnit: 'ms' }), { critical: false })
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      const doc = body(res)
      expect(doc.status).toBe('pass')
      expect(doc.version).toBe('2.0.0')
      expect(doc.checks?.database).toEqual([{ status: 'pass', time: expect.any(String) }])
      expect(doc.checks?.cache).toEqual([
        { status: 'pass', time: expect.any(String), observedValue: 3, observedUnit: 'ms' },
      ])
      expect(Number.isNaN(Date.parse(doc.checks?.database?.[0]?.time ?? ''))).toBe(false)
    })

    it('should answer 503 fail when a critical check fails', async () => {
      const app = await build()
      app.health.addCheck('database', async () => {
        throw new Error('connection refused')
      })
      app.health.addCheck('cache', async () => {})
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toBe('application/health+json; charset=utf-8')
      const doc = body(res)
      expect(doc.status).toBe('fail')
      expect(doc.checks?.database?.[0]).toEqual({ status: 'fail', time: expect.any(String), output: 'failed' })
      expect(doc.checks?.cache?.[0]?.status).toBe('pass')
      expect(res.body).not.toContain('connection refused')
    })

    it('should keep the driver message in the log and out of the probe', async () => {
      const { stream, lines } = captureLogs()
      const app = Fastify({ logger: { level: 'info', stream } })
      apps.push(app)
      await app.register(keelHealth, { underPressure: false })
      app.health.addCheck('database', async () => {
        throw new Error('database "orders" does not exist; ioredis: Stream isn\'t writeable')
      })
      const res = await app.inject('/health/ready')
      expect(res.body).not.toMatch(/orders|ioredis|writeable/)
      expect(body(res).checks?.database?.[0]?.output).toBe('failed')
      const logged = lines.find((line) => line.msg === 'health check failed')
      expect(logged).toMatchObject({ check: 'database', err: { message: expect.stringContaining('orders') } })
    })

    it('should show the scrubbed message with details: true', async () => {
      const app = await build({ details: true })
      app.health.addCheck('database', async () => {
        throw new Error('connection refused')
      })
      app.health.addCheck('disk', () => ({ status: 'fail', output: 'disk full' }))
      app.health.addCheck('hangs', () => new Promise<void>(() => {}), { timeout: 30 })
      const doc = body(await app.inject('/health/ready'))
      expect(doc.checks?.database?.[0]?.output).toBe('connection refused')
      expect(doc.checks?.disk?.[0]?.output).toBe('disk full')
      expect(doc.checks?.hangs?.[0]?.output).toBe('timed out after 30 ms')
    })

    it('should answer 200 warn when only a non-critical check fails', async () => {
      const app = await build()
      app.health.addCheck('database', async () => {})
      app.health.addCheck('cache', () => Promise.reject(new Error('cache down')), { critical: false })
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      expect(body(res).status).toBe('warn')
      expect(body(res).checks?.cache?.[0]?.status).toBe('fail')
    })

    it('should answer 200 warn when a check reports warn', async () => {
      const app = await build()
      app.health.addCheck('disk', () => ({ status: 'warn', observedValue: 81, observedUnit: 'percent' }))
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      expect(body(res).status).toBe('warn')
      expect(body(res).checks?.disk?.[0]).toMatchObject({ status: 'warn', observedValue: 81 })
    })

    it('should answer 503 fail when a critical check returns status fail', async () => {
      const app = await build()
      app.health.addCheck('disk', () => ({
        status: 'fail',
        output: 'disk full',
        observedValue: 99,
        observedUnit: 'percent',
      }))
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(body(res).status).toBe('fail')
      expect(body(res).checks?.disk?.[0]).toMatchObject({ status: 'fail', output: 'failed', observedValue: 99 })
      expect(res.body).not.toContain('disk full')
    })

    it('should answer 200 warn when a non-critical check returns status fail', async () => {
      const app = await build()
      app.health.addCheck('cache', () => ({ status: 'fail' }), { critical: false })
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      expect(body(res).status).toBe('warn')
      expect(body(res).checks?.cache?.[0]?.status).toBe('fail')
    })

    it.each<[string, unknown]>([
      ['an unknown string', 'down'],
      ['a boolean', false],
      ['an uppercase status', 'PASS'],
    ])('should fail a check that returns %s as its status, saying so in output', async (_label, status) => {
      const app = await build()
      app.health.addCheck('database', (() => ({ status })) as never)
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(body(res).checks?.database?.[0]).toEqual({
        status: 'fail',
        time: expect.any(String),
        output: "check returned an unknown status (expected 'pass', 'warn' or 'fail')",
      })
    })

    it.each<[string, unknown]>([
      ['a BigInt', 10n],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['an object', { rows: 1 }],
      ['an array', [1, 2]],
      ['null', null],
      ['a function', () => 1],
      ['a symbol', Symbol('x')],
    ])('should leave out an observedValue that is %s', async (_label, observedValue) => {
      const app = await build()
      app.health.addCheck('database', (() => ({ observedValue, observedUnit: 'ms' })) as never)
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(200)
      expect(body(res).checks?.database).toEqual([{ status: 'pass', time: expect.any(String), observedUnit: 'ms' }])
    })

    it.each<[string, number | string | boolean]>([
      ['a finite number', 0.5],
      ['zero', 0],
      ['a string', '3 replicas'],
      ['a boolean', false],
    ])('should keep an observedValue that is %s', async (_label, observedValue) => {
      const app = await build()
      app.health.addCheck('database', () => ({ observedValue }))
      const res = await app.inject('/health/ready')
      expect(body(res).checks?.database?.[0]?.observedValue).toBe(observedValue)
    })

    it('should fail a check that throws synchronously', async () => {
      const app = await build()
      app.health.addCheck('sync', () => {
        throw new Error('boom')
      })
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(body(res).checks?.sync?.[0]).toMatchObject({ status: 'fail', output: 'failed' })
    })

    it('should bound a check that hangs forever by its timeout and abort its signal', async () => {
      const app = await build({ checkTimeout: 5000 })
      let signal: AbortSignal | undefined
      app.health.addCheck(
        'hangs',
        (context) => {
          signal = context.signal
          return new Promise<void>(() => {})
        },
        { timeout: 50 },
      )
      const started = Date.now()
      const res = await app.inject('/health/ready')
      expect(Date.now() - started).toBeLessThan(2000)
      expect(res.statusCode).toBe(503)
      expect(body(res).checks?.hangs?.[0]).toMatchObject({ status: 'fail', output: 'timed out' })
      expect(signal?.aborted).toBe(true)
    })

    it('should use checkTimeout when a check has no timeout', async () => {
      const app = await build({ checkTimeout: 30 })
      app.health.addCheck('hangs', () => new Promise<void>(() => {}))
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(body(res).checks?.hangs?.[0]?.output).toBe('timed out')
    })

    it('should not leak a stack, a connection string or credentials into output with details', async () => {
      const app = await build({ details: true })
      app.health.addCheck('database', async () => {
        const error = new Error(
          'connect ECONNREFUSED postgres://user:pass@host/db password=hunter2 admin:s3cret@db.internal:5432\n    at Socket.connect (node:net:1:1)',
        )
        throw error
      })
      const res = await app.inject('/health/ready')
      const output = body(res).checks?.database?.[0]?.output ?? ''
      expect(output).toContain('connect ECONNREFUSED')
      for (const secret of ['postgres://', 'user:pass', 'hunter2', 's3cret', 'at Socket', 'node:net']) {
        expect(res.body).not.toContain(secret)
      }
    })

    it('should truncate a long failure message with details', async () => {
      const app = await build({ details: true })
      app.health.addCheck('verbose', async () => {
        throw new Error('x'.repeat(5000))
      })
      const output = body(await app.inject('/health/ready')).checks?.verbose?.[0]?.output ?? ''
      expect(output.length).toBeLessThanOrEqual(200)
    })

    it('should report a non-Error rejection without its value', async () => {
      const app = await build()
      app.health.addCheck('weird', () => Promise.reject({ connectionString: 'postgres://u:p@h/db' }))
      const res = await app.inject('/health/ready')
      expect(body(res).checks?.weird?.[0]).toMatchObject({ status: 'fail', output: 'failed' })
      expect(res.body).not.toContain('postgres')
    })

    it('should run a check added after ready() on the next probe', async () => {
      const app = await build({ cacheTtl: 60_000 })
      await app.ready()
      expect(body(await app.inject('/health/ready')).checks).toEqual({})
      app.health.addCheck('late', async () => {
        throw new Error('late failure')
      })
      const res = await app.inject('/health/ready')
      expect(res.statusCode).toBe(503)
      expect(body(res).checks?.late?.[0]?.status).toBe('fail')
    })

    it('should run checks in parallel', async () => {
      const app = await build()
      for (const name of ['a', 'b', 'c']) {
        app.health.addCheck(name, () => new Promise<void>((resolve) => setTimeout(resolve, 150)))
      }
      const started = Date.now()
      expect((await app.inject('/health/ready')).statusCode).toBe(200)
      expect(Date.now() - started).toBeLessThan(400)
    })
  })

  describe('readiness cache', () => {
    it('should run each check at most once per cacheTtl under many concurrent probes', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const app = await build({ cacheTtl: 1000 })
      const database = vi.fn(() => new Promise<void>((resolve) => setImmediate(resolve)))
      const cache = vi.fn(async () => ({ observedValue: 1, observedUnit: 'ms' }))
      app.health.addCheck('database', database)
      app.health.addCheck('cache', cache, { critical: false })
      await app.ready()

      const burst = () => Promise.all(Array.from({ length: 200 }, () => app.inject('/health/ready')))
      for (const res of await burst()) expect(res.statusCode).toBe(200)
      for (const res of await burst()) expect(res.statusCode).toBe(200)
      expect(database).toHaveBeenCalledTimes(1)
      expect(cache).toHaveBeenCalledTimes(1)

      vi.setSystemTime(Date.now() + 1001)
      await burst()
      expect(database).toHaveBeenCalledTimes(2)
      expect(cache).toHaveBeenCalledTimes(2)
    })

    it('should cache a failing result too', async () => {
      const app = await build({ cacheTtl: 60_000 })
      const check = vi.fn(async () => {
        throw new Error('down')
      })
      app.health.addCheck('database', check)
      expect((await app.inject('/health/ready')).statusCode).toBe(503)
      expect((await app.inject('/health/ready')).statusCode).toBe(503)
      expect(check).toHaveBeenCalledTimes(1)
    })

    it('should share one run between concurrent probes when cacheTtl is 0', async () => {
      const app = await build({ cacheTtl: 0 })
      const check = vi.fn(() => new Promise<void>((resolve) => setTimeout(resolve, 20)))
      app.health.addCheck('database', check)
      await Promise.all(Array.from({ length: 50 }, () => app.inject('/health/ready')))
      expect(check).toHaveBeenCalledTimes(1)
      await app.inject('/health/ready')
      expect(check).toHaveBeenCalledTimes(2)
    })
  })

  describe('addCheck misuse', () => {
    it.each([
      ['an empty name', '', async () => {}, undefined, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a name with spaces', 'my check', async () => {}, undefined, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a non-string name', 42, async () => {}, undefined, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a missing function', 'db', undefined, undefined, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a non-boolean critical', 'db', async () => {}, { critical: 'yes' }, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a zero timeout', 'db', async () => {}, { timeout: 0 }, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      [
        'a timeout that is no duration',
        'db',
        async () => {},
        { timeout: '1 fortnight' },
        'KEEL_ERR_HEALTH_INVALID_CHECK',
      ],
      ['an unknown check option', 'db', async () => {}, { timeuot: 100 }, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a non-function onClose', 'db', async () => {}, { onClose: 'quit' }, 'KEEL_ERR_HEALTH_INVALID_CHECK'],
      ['a duplicate name', 'taken', async () => {}, undefined, 'KEEL_ERR_HEALTH_DUPLICATE_CHECK'],
    ])('should reject %s', async (_label, name, fn, options, code) => {
      const app = await build()
      app.health.addCheck('taken', async () => {})
      const addCheck = app.health.addCheck as (...args: unknown[]) => void
      expect(() => addCheck(name, fn, options)).toThrow(expect.objectContaining({ code, name: 'KeelConfigError' }))
    })
  })

  describe('options', () => {
    it.each<[string, Record<string, unknown>]>([
      ['prefix without a leading slash', { prefix: 'health' }],
      ['prefix with a trailing slash', { prefix: '/health/' }],
      ['an empty prefix', { prefix: '' }],
      ['an empty version', { version: '' }],
      ['a numeric version', { version: 1 }],
      ['a negative checkTimeout', { checkTimeout: -1 }],
      ['a zero checkTimeout', { checkTimeout: 0 }],
      ['a checkTimeout over the timer limit', { checkTimeout: 2 ** 31 }],
      ['a cacheTtl that is no duration', { cacheTtl: '1 fortnight' }],
      ['a negative shutdownDelay', { shutdownDelay: -1 }],
      ['a retryAfter under one second (it is milliseconds)', { underPressure: { retryAfter: 10 } }],
      ['a non-boolean details', { details: 'yes' }],
      ['a non-boolean handleSignals', { handleSignals: 'yes' }],
      ['an unknown option', { cacheTTL: 1000 }],
      ['underPressure true', { underPressure: true }],
      ['a negative maxEventLoopDelay', { underPressure: { maxEventLoopDelay: -1 } }],
      ['maxEventLoopUtilization over 1', { underPressure: { maxEventLoopUtilization: 1.5 } }],
      ['a NaN maxHeapUsedBytes', { underPressure: { maxHeapUsedBytes: Number.NaN } }],
      ['a zero retryAfter', { underPressure: { retryAfter: 0 } }],
      ['a sampleInterval under 50', { underPressure: { sampleInterval: 20 } }],
      ['a non-function pressureHandler', { underPressure: { pressureHandler: 'shed' } }],
      ['exposeStatusRoute', { underPressure: { exposeStatusRoute: true } }],
      ['healthCheck', { underPressure: { healthCheck: async () => true } }],
      ['customError', { underPressure: { customError: Error } }],
    ])('should fail boot with KEEL_ERR_HEALTH_INVALID_OPTION for %s', async (_label, options) => {
      const app = Fastify()
      apps.push(app)
      await expect(app.register(keelHealth, options as KeelHealthOptions)).rejects.toMatchObject({
        code: 'KEEL_ERR_HEALTH_INVALID_OPTION',
        name: 'KeelConfigError',
      })
    })

    it('should read every duration in the one grammar: milliseconds or a string', async () => {
      const app = await build({ checkTimeout: '30ms', cacheTtl: '1 minute' })
      let runs = 0
      app.health.addCheck('hangs', () => {
        runs++
        return new Promise<void>(() => {})
      })
      app.health.addCheck('quick', () => new Promise<void>(() => {}), { timeout: '20 ms' })
      const started = Date.now()
      const doc = body(await app.inject('/health/ready'))
      expect(Date.now() - started).toBeLessThan(2000)
      expect(doc.checks?.hangs?.[0]?.output).toBe('timed out')
      expect(doc.checks?.quick?.[0]?.output).toBe('timed out')
      await app.inject('/health/ready')
      expect(runs).toBe(1)
    })

    it('should send retryAfter in whole seconds', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelHealth, { underPressure: { retryAfter: 1500, maxHeapUsedBytes: 1, sampleInterval: 50 } })
      app.get('/ping', async () => 'pong')
      await vi.waitFor(() => expect(app.isUnderPressure()).toBe(true), { timeout: 5000, interval: 5 })
      expect((await app.inject('/ping')).headers['retry-after']).toBe('2')
    })

    it('should name the bad option in the message', async () => {
      const app = Fastify()
      apps.push(app)
      await expect(app.register(keelHealth, { checkTimeout: -5 })).rejects.toThrow(/checkTimeout/)
    })

    it('should refuse a second registration in one context', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelHealth, { underPressure: false })
      await expect(app.register(keelHealth, { underPressure: false, prefix: '/other' })).rejects.toMatchObject({
        code: 'KEEL_ERR_HEALTH_ALREADY_REGISTERED',
      })
    })
  })

  describe('route integration', () => {
    async function requestLogUrls(level: 'info' | 'debug') {
      const { lines, stream } = captureLogs()
      const app = Fastify({ logger: { level, stream } })
      apps.push(app)
      await app.register(keelHealth, { underPressure: false })
      app.get('/ping', async () => 'pong')
      await app.inject('/health/live')
      await app.inject('/health/ready')
      await app.inject('/ping')
      return lines.map((line) => (line.req as { url?: string } | undefined)?.url).filter(Boolean)
    }

    it('should not write request log lines for probes when the app logs at info', async () => {
      const urls = await requestLogUrls('info')
      expect(urls).toContain('/ping')
      expect(urls).not.toContain('/health/live')
      expect(urls).not.toContain('/health/ready')
    })

    it('should write request log lines for probes when the app logs at debug', async () => {
      const urls = await requestLogUrls('debug')
      expect(urls).toContain('/ping')
      expect(urls).toContain('/health/live')
      expect(urls).toContain('/health/ready')
    })

    it('should exempt the probes from @fastify/rate-limit', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(rateLimit, { max: 1, timeWindow: 60_000 })
      await app.register(keelHealth, { underPressure: false })
      app.get('/ping', async () => 'pong')
      expect((await app.inject('/ping')).statusCode).toBe(200)
      expect((await app.inject('/ping')).statusCode).toBe(429)
      for (let i = 0; i < 5; i++) {
        expect((await app.inject('/health/live')).statusCode).toBe(200)
        expect((await app.inject('/health/ready')).statusCode).toBe(200)
      }
    })

    it('should appear in the OpenAPI document with the health tag and health+json responses', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(swagger, { openapi: { info: { title: 'test', version: '1' } } })
      await app.register(keelHealth, { underPressure: false })
      await app.ready()
      const spec = app.swagger() as {
        paths: Record<string, { get?: { tags?: string[]; responses: Record<string, { content?: object }> } }>
      }
      for (const path of ['/health/live', '/health/ready']) {
        const get = spec.paths[path]?.get
        expect(get?.tags).toEqual(['health'])
        expect(Object.keys(get?.responses ?? {})).toEqual(['200', '503'])
        expect(Object.keys(get?.responses['503']?.content ?? {})).toEqual(['application/health+json'])
      }
    })

    it('should answer probes over a real connection', async () => {
      const app = await build({ version: '9.9.9' })
      app.health.addCheck('database', async () => {})
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      const res = await fetch(`${address}/health/ready`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/health+json; charset=utf-8')
      expect(await res.json()).toMatchObject({ status: 'pass', version: '9.9.9' })
    })
  })
})
