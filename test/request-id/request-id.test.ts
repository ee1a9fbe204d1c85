import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { httpErrors, keelErrors, problemServerOptions } from 'fastify-keel/errors'
import { getRequestId, type KeelRequestIdOptions, keelRequestId } from 'fastify-keel/request-id'
import { afterEach, describe, expect, it } from 'vitest'
import { appWithLogs, type LogLine } from '../helpers/logs.js'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

async function build(
  options: KeelRequestIdOptions = {},
  server: FastifyServerOptions = {},
): Promise<{ app: FastifyInstance; lines: LogLine[] }> {
  const logged = appWithLogs(server)
  app = logged.app
  await app.register(keelRequestId, options)
  app.get('/', async (request) => ({ id: request.id, traceContext: request.traceContext }))
  return logged
}

describe('request-id', () => {
  describe('incoming ids', () => {
    it('should reuse a valid incoming x-request-id as request.id and echo it', async () => {
      const { app } = await build()
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'gw-1234.abc:5_x' } })
      expect(res.json().id).toBe('gw-1234.abc:5_x')
      expect(res.headers['x-request-id']).toBe('gw-1234.abc:5_x')
    })

    it('should generate a UUID when no id is sent', async () => {
      const { app } = await build()
      const res = await app.inject('/')
      expect(res.json().id).toMatch(UUID)
      expect(res.headers['x-request-id']).toBe(res.json().id)
    })

    const invalid: Array<[string, string]> = [
      ['empty', ''],
      ['too long (129 chars)', 'a'.repeat(129)],
      ['10 KB long', 'b'.repeat(10 * 1024)],
      ['with a space', 'abc def'],
      ['with a tab', 'abc\tdef'],
      ['with a slash', 'abc/def'],
      ['with quotes and braces', '"}{"level":60'],
      ['with a percent-encoded CRLF', 'abc%0d%0aSet-Cookie:x'],
      ['with CRLF and a forged header', 'abc\r\nSet-Cookie: session=evil'],
      ['with a bare LF', 'abc\n{"level":60}'],
      ['non-ASCII', 'idé-ünïcode'],
    ]
    it.each(invalid)('should replace an id that is %s with a generated one', async (_name, forged) => {
      const { app, lines } = await build()
      const res = await app.inject({ url: '/', headers: { 'x-request-id': forged } })
      const id = res.json().id as string
      expect(id).toMatch(UUID)
      expect(res.headers['x-request-id']).toBe(id)
      const withReqId = lines.filter((line) => line.reqId !== undefined)
      expect(withReqId.length).toBeGreaterThan(0)
      for (const line of withReqId) expect(line.reqId).toBe(id)
    })

    it('should ignore incoming ids when trustIncoming is false', async () => {
      const { app } = await build({ trustIncoming: false })
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'valid-id' } })
      expect(res.json().id).toMatch(UUID)
      expect(res.headers['x-request-id']).toBe(res.json().id)
    })

    it('should use a custom header, generator and validator', async () => {
      let n = 0
      const { app } = await build({
        header: 'X-Correlation-Id',
        generate: () => `gen-${++n}`,
        validate: (id) => id.startsWith('ok-'),
      })
      const reused = await app.inject({ url: '/', headers: { 'x-correlation-id': 'ok-7' } })
      expect(reused.json().id).toBe('ok-7')
      expect(reused.headers['x-correlation-id']).toBe('ok-7')
      expect(reused.headers['x-request-id']).toBeUndefined()
      const replaced = await app.inject({ url: '/', headers: { 'x-correlation-id': 'bad-7' } })
      expect(replaced.json().id).toMatch(/^gen-\d+$/)
    })

    it("should put the id in Fastify's reqId log binding", async () => {
      const { app, lines } = await build()
      await app.inject({ url: '/', headers: { 'x-request-id': 'trace-me-1' } })
      const completed = lines.find((line) => line.msg === 'request completed')
      expect(completed?.reqId).toBe('trace-me-1')
      expect(lines.find((line) => line.msg === 'incoming request')?.reqId).toBe('trace-me-1')
    })

    it('should replace a forged id that reaches the plugin over a real socket', async () => {
      const { app, lines } = await build()
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as { port: number }
      // CR and LF never get this far over real HTTP (Node's parser answers 400 first); quotes, braces, spaces
      // and non-ASCII bytes do, so this is what the plugin itself must refuse on a socket.
      const forged = Buffer.concat([Buffer.from('evil" {"level":60,"msg":"injected"} '), Buffer.from([0xff, 0xfe])])
      const net = await import('node:net')
      const response = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(
            Buffer.concat([
              Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: '),
              forged,
              Buffer.from('\r\nConnection: close\r\n\r\n'),
            ]),
          )
        })
        let data = ''
        socket.on('data', (chunk) => {
          data += chunk.toString('latin1')
        })
        socket.on('end', () => resolve(data))
        socket.on('error', reject)
      })
      expect(response).toMatch(/^HTTP\/1\.1 200 /)
      const echoed = /\r\nx-request-id: ([^\r]*)\r\n/i.exec(response)?.[1]
      expect(echoed).toMatch(UUID)
      expect(response).not.toContain('injected')
      expect(JSON.stringify(lines)).not.toContain('injected')
      expect(lines.filter((line) => line.reqId !== undefined).every((line) => line.reqId === echoed)).toBe(true)
    })
  })

  describe('user generate and validate', () => {
    it('should treat an id as invalid when validate throws, and keep serving', async () => {
      const { app, lines } = await build({
        validate: (id) => {
          if (id === 'boom') throw new Error('validator bug')
          return id.startsWith('ok-')
        },
      })
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ url: '/', headers: { 'x-request-id': 'boom' } })
        expect(res.statusCode).toBe(200)
        expect(res.json().id).toMatch(UUID)
        expect(res.headers['x-request-id']).toBe(res.json().id)
      }
      expect((await app.inject({ url: '/', headers: { 'x-request-id': 'ok-1' } })).json().id).toBe('ok-1')
      expect(lines.filter((line) => line.code === 'KEEL_REQUEST_ID_VALIDATE_FAILED')).toHaveLength(1)
    })

    it('should not reuse an unsafe id that a custom validate accepts', async () => {
      const { app } = await build({ validate: () => true })
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'two words' } })
      expect(res.statusCode).toBe(200)
      expect(res.json().id).toMatch(UUID)
    })

    it.each<[string, () => string]>([
      ['an id with a newline', () => 'bad\nid'],
      ['an empty id', () => ''],
      ['a non-string', () => 42 as unknown as string],
      [
        'a throw',
        () => {
          throw new Error('generator bug')
        },
      ],
    ])('should fall back to a UUID when generate later gives %s', async (_name, later) => {
      let calls = 0
      const { app, lines } = await build({ generate: () => (calls++ === 0 ? 'boot-check-1' : later()) })
      for (let i = 0; i < 2; i++) {
        const res = await app.inject('/')
        expect(res.statusCode).toBe(200)
        expect(res.json().id).toMatch(UUID)
        expect(res.headers['x-request-id']).toBe(res.json().id)
      }
      expect(lines.filter((line) => String(line.code).startsWith('KEEL_REQUEST_ID_GENERATE_'))).toHaveLength(1)
    })

    it('should use the ids a custom generate returns when they are safe', async () => {
      let n = 0
      const { app } = await build({ generate: () => `job-${++n}` })
      expect((await app.inject('/')).json().id).toMatch(/^job-\d+$/)
    })
  })

  describe('echo on every response', () => {
    async function full(): Promise<FastifyInstance> {
      app = Fastify()
      await app.register(keelRequestId)
      await app.register(keelErrors)
      return app
    }

    it('should echo the id on a 404 problem document and match requestId', async () => {
      const app = await full()
      const res = await app.inject({ url: '/nope', headers: { 'x-request-id': 'nf-1' } })
      const body = expectProblem(res, 404, 'ROUTE_NOT_FOUND')
      expect(res.headers['x-request-id']).toBe('nf-1')
      expect(body.requestId).toBe('nf-1')
    })

    it('should echo the generated id on a 5xx problem document and match requestId', async () => {
      const app = await full()
      app.get('/boom', async () => {
        throw new Error('x')
      })
      const res = await app.inject('/boom')
      const body = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      expect(body.requestId).toMatch(UUID)
      expect(res.headers['x-request-id']).toBe(body.requestId)
    })

    it('should echo the id on a response sent from a later onRequest hook', async () => {
      const app = await full()
      app.addHook('onRequest', async (request, reply) => {
        if (request.url === '/early') return reply.code(202).send({ early: true })
      })
      app.get('/early', async () => 'late')
      const res = await app.inject({ url: '/early', headers: { 'x-request-id': 'early-1' } })
      expect(res.statusCode).toBe(202)
      expect(res.headers['x-request-id']).toBe('early-1')
    })

    it('should echo the id on an error thrown by a later onRequest hook', async () => {
      const app = await full()
      app.addHook('onRequest', async () => {
        throw httpErrors.unauthorized()
      })
      app.get('/', async () => 'ok')
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'hook-1' } })
      expect(expectProblem(res, 401, 'UNAUTHORIZED').requestId).toBe('hook-1')
      expect(res.headers['x-request-id']).toBe('hook-1')
    })

    it('should echo the id on a 429 from @fastify/rate-limit', async () => {
      const app = await full()
      await app.register(rateLimit, { max: 1, timeWindow: 60_000 })
      app.get('/', async () => 'ok')
      await app.inject('/')
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'rl-1' } })
      expect(expectProblem(res, 429, 'RATE_LIMITED').requestId).toBe('rl-1')
      expect(res.headers['x-request-id']).toBe('rl-1')
    })

    it('should echo the id on a 503 from @fastify/under-pressure', async () => {
      const app = await full()
      await app.register(underPressure, { healthCheck: async () => false, healthCheckInterval: 60_000 })
      app.get('/', async () => 'ok')
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'up-1' } })
      expect(expectProblem(res, 503, 'SERVICE_OVERLOADED').requestId).toBe('up-1')
      expect(res.headers['x-request-id']).toBe('up-1')
    })

    it('should echo the id on a 413 and a 415 raised while parsing the body', async () => {
      app = Fastify({ bodyLimit: 10 })
      await app.register(keelRequestId)
      await app.register(keelErrors)
      app.post('/', async () => 'ok')
      const big = await app.inject({
        method: 'POST',
        url: '/',
        payload: { a: 'x'.repeat(100) },
        headers: { 'x-request-id': 'big-1' },
      })
      expect(expectProblem(big, 413, 'PAYLOAD_TOO_LARGE').requestId).toBe('big-1')
      expect(big.headers['x-request-id']).toBe('big-1')
      const xml = await app.inject({
        method: 'POST',
        url: '/',
        payload: '<a/>',
        headers: { 'content-type': 'application/xml', 'x-request-id': 'xml-1' },
      })
      expectProblem(xml, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(xml.headers['x-request-id']).toBe('xml-1')
    })
  })

  describe('with problemServerOptions', () => {
    // Fastify answers these before any hook runs, so keelRequestId's onRequest hook never sets the header;
    // problemServerOptions sets the header it is given to request.id.
    async function withFrameworkErrors(options: KeelRequestIdOptions = {}): Promise<FastifyInstance> {
      app = Fastify({
        routerOptions: { maxParamLength: 20 },
        ...problemServerOptions({ requestIdHeader: options.header ?? 'x-request-id' }),
      })
      await app.register(keelRequestId, options)
      await app.register(keelErrors)
      app.get('/items/:id', async () => 'ok')
      return app
    }

    it('should send the generated id on a bad URL, equal to requestId', async () => {
      const app = await withFrameworkErrors()
      const res = await app.inject('/%E0%A4%A')
      const body = expectProblem(res, 400, 'BAD_URL')
      expect(body.requestId).toMatch(UUID)
      expect(res.headers['x-request-id']).toBe(body.requestId)
    })

    it('should send a valid incoming id on a bad URL', async () => {
      const app = await withFrameworkErrors()
      const res = await app.inject({ url: '/%E0%A4%A', headers: { 'x-request-id': 'bad-url-1' } })
      expect(expectProblem(res, 400, 'BAD_URL').requestId).toBe('bad-url-1')
      expect(res.headers['x-request-id']).toBe('bad-url-1')
    })

    it('should send the id in the configured header on an over-long param', async () => {
      const app = await withFrameworkErrors({ header: 'x-correlation-id' })
      const res = await app.inject({ url: `/items/${'x'.repeat(50)}`, headers: { 'x-correlation-id': 'long-1' } })
      expect(expectProblem(res, 414, 'PARAM_TOO_LONG').requestId).toBe('long-1')
      expect(res.headers['x-correlation-id']).toBe('long-1')
      expect(res.headers['x-request-id']).toBeUndefined()
    })

    it('should keep the one header the plugin set on an ordinary error', async () => {
      const app = await withFrameworkErrors()
      const res = await app.inject({ url: '/missing', headers: { 'x-request-id': 'nf-2' } })
      expect(expectProblem(res, 404, 'ROUTE_NOT_FOUND').requestId).toBe('nf-2')
      expect(res.headers['x-request-id']).toBe('nf-2')
    })
  })

  describe('getRequestId', () => {
    it('should return undefined outside a request', async () => {
      const { app } = await build()
      expect(getRequestId()).toBeUndefined()
      await app.inject('/')
      expect(getRequestId()).toBeUndefined()
    })

    it('should return the id in hooks, the handler after awaits, and onResponse, for interleaved requests', async () => {
      app = Fastify()
      await app.register(keelRequestId)
      const seen: Array<{ expected: string; stage: string; got: string | undefined }> = []
      const record = (expected: string, stage: string) => seen.push({ expected, stage, got: getRequestId() })
      app.addHook('preHandler', async (request) => record(request.id, 'preHandler'))
      app.addHook('onResponse', async (request) => record(request.id, 'onResponse'))
      // Each request waits on a gate released in reverse order, so their awaits interleave.
      const gates: Array<() => void> = []
      let arrived = 0
      let allArrived: () => void = () => {}
      const allHere = new Promise<void>((resolve) => {
        allArrived = resolve
      })
      app.post('/', async (request) => {
        record(request.id, 'handler-start')
        await new Promise<void>((resolve) => {
          gates.push(resolve)
          if (++arrived === 10) allArrived()
        })
        await Promise.resolve()
        record(request.id, 'handler-end')
        return { id: getRequestId() }
      })
      const responses = Array.from({ length: 10 }, (_, i) =>
        app!.inject({ method: 'POST', url: '/', payload: { i }, headers: { 'x-request-id': `req-${i}` } }),
      )
      await allHere
      for (const release of gates.reverse()) release()
      const bodies = (await Promise.all(responses)).map((res) => res.json().id)
      expect(bodies).toEqual(Array.from({ length: 10 }, (_, i) => `req-${i}`))
      expect(seen).toHaveLength(40)
      for (const entry of seen) expect(entry.got).toBe(entry.expected)
    })

    it('should keep the id across a real HTTP round trip with a body', async () => {
      app = Fastify()
      await app.register(keelRequestId)
      app.post('/', async () => {
        await new Promise((resolve) => setImmediate(resolve))
        return { id: getRequestId() }
      })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as { port: number }
      const results = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const res = await fetch(`http://127.0.0.1:${port}/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': `http-${i}` },
            body: JSON.stringify({ pad: 'x'.repeat(64 * 1024) }),
          })
          return [res.headers.get('x-request-id'), ((await res.json()) as { id: string }).id]
        }),
      )
      expect(results).toEqual(Array.from({ length: 5 }, (_, i) => [`http-${i}`, `http-${i}`]))
    })
  })

  describe('trace context', () => {
    const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

    it('should expose a valid traceparent as request.traceContext', async () => {
      const { app } = await build()
      const res = await app.inject({ url: '/', headers: { traceparent: VALID } })
      expect(res.json().traceContext).toEqual({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        parentId: '00f067aa0ba902b7',
        flags: 1,
      })
    })

    it('should add traceId to the log bindings of the request', async () => {
      const { app, lines } = await build()
      app.get('/log', async (request) => {
        request.log.info('inside handler')
        return 'ok'
      })
      await app.inject({ url: '/log', headers: { traceparent: VALID, 'x-request-id': 'tp-1' } })
      expect(lines.find((line) => line.msg === 'inside handler')).toMatchObject({
        reqId: 'tp-1',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      })
      expect(lines.find((line) => line.msg === 'request completed')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    })

    it('should put traceId on every log line of a traced request, the incoming request line included', async () => {
      const { app, lines } = await build()
      await app.register(keelErrors)
      app.get('/fail', async () => {
        throw new Error('boom')
      })
      await app.inject({ url: '/fail', headers: { traceparent: VALID, 'x-request-id': 'tp-2' } })
      await app.inject({ url: '/nowhere', headers: { traceparent: VALID, 'x-request-id': 'tp-3' } })
      const traced = lines.filter((line) => line.reqId === 'tp-2' || line.reqId === 'tp-3')
      expect(traced.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['incoming request', 'request failed', 'request completed']),
      )
      expect(traced.filter((line) => line.msg === 'incoming request')).toHaveLength(2)
      for (const line of traced) expect(line.traceId, String(line.msg)).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    })

    it('should keep traceId when the app sets its own child logger factory', async () => {
      const { app, lines } = await build()
      const factory = app.childLoggerFactory
      app.setChildLoggerFactory(function tagged(logger, bindings, options, raw) {
        return factory.call(this, logger, { ...bindings, tenant: 't1' }, options, raw)
      })
      app.get('/own', async (request) => {
        request.log.info('inside handler')
        return 'ok'
      })
      await app.inject({ url: '/own', headers: { traceparent: VALID, 'x-request-id': 'tp-4' } })
      const inside = lines.find((line) => line.msg === 'inside handler')
      expect(inside).toMatchObject({ tenant: 't1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })
    })

    it("should leave Fastify's child logger factory alone without a logger, and still parse traceparent", async () => {
      app = Fastify({ logger: false })
      const fastifyDefault = app.childLoggerFactory
      await app.register(keelRequestId)
      expect(app.childLoggerFactory).toBe(fastifyDefault)
      app.get('/', async (request) => request.traceContext)
      const res = await app.inject({ url: '/', headers: { traceparent: VALID } })
      expect(res.json()).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' })
    })

    it('should leave traceContext null and add no traceId without a valid traceparent', async () => {
      const { app, lines } = await build()
      const res = await app.inject({ url: '/', headers: { traceparent: '00-xyz' } })
      expect(res.json().traceContext).toBeNull()
      expect(lines.some((line) => 'traceId' in line)).toBe(false)
      expect((await app.inject('/')).json().traceContext).toBeNull()
    })
  })

  describe('options', () => {
    const bad: Array<[string, unknown, string]> = [
      ['a non-object', 42, 'KEEL_ERR_REQUEST_ID_INVALID_OPTION'],
      ['an unknown option', { headerName: 'x' }, 'KEEL_ERR_REQUEST_ID_INVALID_OPTION'],
      ['a header with a space', { header: 'x request id' }, 'KEEL_ERR_REQUEST_ID_INVALID_HEADER'],
      ['an empty header', { header: '' }, 'KEEL_ERR_REQUEST_ID_INVALID_HEADER'],
      ['a non-boolean trustIncoming', { trustIncoming: 'yes' }, 'KEEL_ERR_REQUEST_ID_INVALID_OPTION'],
      ['a non-function generate', { generate: 'uuid' }, 'KEEL_ERR_REQUEST_ID_INVALID_OPTION'],
      ['a non-function validate', { validate: /x/ }, 'KEEL_ERR_REQUEST_ID_INVALID_OPTION'],
      ['a generator returning CRLF', { generate: () => 'a\r\nb' }, 'KEEL_ERR_REQUEST_ID_INVALID_GENERATOR'],
      ['a generator returning a number', { generate: () => 5 }, 'KEEL_ERR_REQUEST_ID_INVALID_GENERATOR'],
    ]
    it.each(bad)('should fail boot with a clear error for %s', async (_name, options, code) => {
      app = Fastify()
      await expect(app.register(keelRequestId, options as never)).rejects.toMatchObject({
        name: 'KeelConfigError',
        code,
      })
    })

    it("should refuse Fastify's unvalidated requestIdHeader option", async () => {
      app = Fastify({ requestIdHeader: 'x-request-id' })
      await expect(app.register(keelRequestId)).rejects.toMatchObject({
        code: 'KEEL_ERR_REQUEST_ID_FASTIFY_HEADER_OPTION',
      })
    })

    it('should refuse to be registered twice in one context', async () => {
      app = Fastify()
      await app.register(keelRequestId)
      await expect(app.register(keelRequestId)).rejects.toMatchObject({
        code: 'KEEL_ERR_REQUEST_ID_ALREADY_REGISTERED',
      })
    })
  })
})
