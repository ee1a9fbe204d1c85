import createError from '@fastify/error'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyInstance } from 'fastify'
import { createErrorHandler, HttpError, httpErrors, keelErrors } from 'fastify-keel/errors'
import { keelRequestId } from 'fastify-keel/request-id'
import { afterEach, describe, expect, it } from 'vitest'
import { appWithLogs, linesAt } from '../helpers/logs.js'
import { expectProblem, PROBLEM_CONTENT_TYPE } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

async function withErrors(options: Parameters<typeof keelErrors>[1] = {}): Promise<FastifyInstance> {
  app = Fastify()
  await app.register(keelErrors, options)
  return app
}

describe('errors', () => {
  describe('HttpError rendering', () => {
    it('should render a thrown httpErrors.notFound as a problem document', async () => {
      const app = await withErrors()
      app.get('/users/:id', async () => {
        throw httpErrors.notFound('User not found', { code: 'USER_NOT_FOUND' })
      })
      const res = await app.inject('/users/42?expand=roles')
      const body = expectProblem(res, 404, 'USER_NOT_FOUND')
      expect(body).toEqual({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: 'User not found',
        instance: '/users/42',
        code: 'USER_NOT_FOUND',
        requestId: expect.any(String),
      })
    })

    it('should put the request id in requestId', async () => {
      const app = await withErrors()
      app.get('/', async (request) => {
        throw httpErrors.conflict(`conflict for ${request.id}`)
      })
      const res = await app.inject('/')
      const body = expectProblem(res, 409, 'CONFLICT')
      expect(body.detail).toBe(`conflict for ${body.requestId}`)
    })

    it('should add extension members at the top level without overriding standard members', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw new HttpError(422, 'Cannot delete the last admin', {
          code: 'LAST_ADMIN',
          extensions: { userId: 7, status: 200, code: 'HACKED', requestId: 'x', errors: [], __proto__: { a: 1 } },
        })
      })
      const body = expectProblem(await app.inject('/'), 422, 'LAST_ADMIN')
      expect(body.userId).toBe(7)
      expect(body.requestId).not.toBe('x')
      expect(body).not.toHaveProperty('errors')
      expect(Object.getPrototypeOf(body)).toBe(Object.prototype)
    })

    it('should send the headers of an HttpError and keep headers already on the reply', async () => {
      const app = await withErrors()
      app.get('/', async (_request, reply) => {
        reply.header('x-ratelimit-limit', '1')
        throw new HttpError(429, 'Slow down', { code: 'RATE_LIMITED', headers: { 'retry-after': '30' } })
      })
      const res = await app.inject('/')
      expectProblem(res, 429, 'RATE_LIMITED')
      expect(res.headers['retry-after']).toBe('30')
      expect(res.headers['x-ratelimit-limit']).toBe('1')
    })

    it('should keep WWW-Authenticate from an HttpError', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw httpErrors.unauthorized('Token missing', {
          code: 'TOKEN_MISSING',
          headers: { 'www-authenticate': 'Bearer realm="api"' },
        })
      })
      const res = await app.inject('/')
      expectProblem(res, 401, 'TOKEN_MISSING')
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    })

    const hookCases = [
      ['onRequest', 'async'],
      ['preValidation', 'async'],
      ['preHandler', 'async'],
      ['onRequest', 'callback'],
      ['preValidation', 'callback'],
      ['preHandler', 'callback'],
    ] as const
    it.each(hookCases)('should render an HttpError from a %s hook (%s style)', async (hook, style) => {
      const app = await withErrors()
      const error = httpErrors.forbidden('No access', { code: 'NO_ACCESS' })
      if (style === 'async') {
        app.addHook(hook, async () => {
          throw error
        })
      } else {
        app.addHook(hook as 'onRequest', (_request, _reply, done) => done(error))
      }
      app.get('/', async () => 'ok')
      expectProblem(await app.inject('/'), 403, 'NO_ACCESS')
    })

    it('should render an HttpError passed by a callback-style handler with reply.send', async () => {
      const app = await withErrors()
      app.get('/', (_request, reply) => {
        reply.send(httpErrors.gone('Moved away'))
      })
      expectProblem(await app.inject('/'), 410, 'GONE')
    })

    it('should hide the detail of a 5xx HttpError unless it was created with expose: true', async () => {
      const app = await withErrors()
      app.get('/hidden', async () => {
        throw httpErrors.serviceUnavailable('db pool exhausted at 10.0.0.3')
      })
      app.get('/exposed', async () => {
        throw httpErrors.serviceUnavailable('Maintenance until 10:00', { expose: true, code: 'MAINTENANCE' })
      })
      const hidden = expectProblem(await app.inject('/hidden'), 503, 'SERVICE_UNAVAILABLE')
      expect(hidden.detail).toBe('Service Unavailable')
      const exposed = expectProblem(await app.inject('/exposed'), 503, 'MAINTENANCE')
      expect(exposed.detail).toBe('Maintenance until 10:00')
    })
  })

  describe('anything else thrown', () => {
    const thrown: Array<[string, () => unknown]> = [
      ['a plain Error', () => new Error('password=hunter2 at db.query')],
      ['a string', () => 'secret string'],
      ['null', () => null],
      ['undefined', () => undefined],
      ['an object', () => ({ secret: 'token' })],
      ['a number', () => 42],
      [
        'an Error with a non-HTTP status',
        () => Object.assign(new Error('boom'), { statusCode: 200, code: 'ECONNRESET' }),
      ],
    ]
    it.each(thrown)('should answer 500 INTERNAL_SERVER_ERROR with a generic detail for %s', async (_name, make) => {
      const app = await withErrors()
      app.get('/', async () => {
        throw make()
      })
      const res = await app.inject('/')
      const body = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      expect(body.detail).toBe('Internal Server Error')
      expect(res.body).not.toMatch(/hunter2|secret|token|boom|stack|at /)
    })

    it('should show the internal message with exposeInternalErrors: true, never the stack', async () => {
      const app = await withErrors({ exposeInternalErrors: true })
      app.get('/', async () => {
        throw new Error('db down')
      })
      const res = await app.inject('/')
      const body = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      expect(body.detail).toBe('db down')
      expect(res.body).not.toContain('plugin.test')
    })

    it('should show the message of an error of unknown origin with exposeInternalErrors: true', async () => {
      const app = await withErrors({ exposeInternalErrors: true })
      app.get('/', async (_request, reply) => {
        reply.code(400)
        throw new Error('db said no')
      })
      expect(expectProblem(await app.inject('/'), 400, 'BAD_REQUEST').detail).toBe('db said no')
    })

    it('should show a 5xx HttpError message with exposeInternalErrors: true', async () => {
      const app = await withErrors({ exposeInternalErrors: true })
      app.get('/', async () => {
        throw httpErrors.badGateway('upstream said no')
      })
      expect(expectProblem(await app.inject('/'), 502, 'BAD_GATEWAY').detail).toBe('upstream said no')
    })

    it('should keep a 4xx status set on the reply before a plain error is thrown, with a generic detail', async () => {
      const app = await withErrors()
      app.get('/', async (_request, reply) => {
        reply.code(409)
        throw new Error('duplicate key value violates unique constraint "users_email_key"')
      })
      const body = expectProblem(await app.inject('/'), 409, 'CONFLICT')
      expect(body.detail).toBe('Conflict')
    })

    it('should never send the message of a plain error thrown after reply.code(4xx)', async () => {
      const app = await withErrors()
      app.get('/', async (_request, reply) => {
        reply.code(400)
        throw new Error('ECONNREFUSED 10.0.0.3:5432 password=hunter2')
      })
      const res = await app.inject('/')
      expect(expectProblem(res, 400, 'BAD_REQUEST').detail).toBe('Bad Request')
      expect(res.body).not.toMatch(/hunter2|ECONNREFUSED|10\.0\.0\.3/)
    })

    it("should keep a foreign error's own 4xx status but not its message or headers", async () => {
      const app = await withErrors()
      app.get('/', async () => {
        // What an HTTP client raises for an upstream 404: the message holds an internal URL and key.
        throw Object.assign(new Error('Request failed: GET http://billing.internal/v1/plans?key=abc returned 404'), {
          status: 404,
          code: 'ERR_BAD_REQUEST',
          headers: { 'set-cookie': 'upstream=1', 'x-upstream-server': 'billing-7' },
        })
      })
      const res = await app.inject('/')
      const body = expectProblem(res, 404, 'ERR_BAD_REQUEST')
      expect(body.detail).toBe('Not Found')
      expect(res.body).not.toMatch(/key=abc|billing/)
      expect(res.headers['set-cookie']).toBeUndefined()
      expect(res.headers['x-upstream-server']).toBeUndefined()
    })

    it('should keep the status and readable code of an application error, with the status title as detail', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw Object.assign(new Error('Plan limit reached'), { statusCode: 402, code: 'PLAN_LIMIT' })
      })
      const body = expectProblem(await app.inject('/'), 402, 'PLAN_LIMIT')
      expect(body.detail).toBe('Payment Required')
    })

    it('should show the 4xx message of an error made with @fastify/error', async () => {
      const PlanLimitError = createError('PLAN_LIMIT', 'Plan limit of %d projects reached', 402)
      const app = await withErrors()
      app.get('/', async () => {
        throw new PlanLimitError(3)
      })
      const body = expectProblem(await app.inject('/'), 402, 'PLAN_LIMIT')
      expect(body.detail).toBe('Plan limit of 3 projects reached')
    })

    it('should show the message and headers of an http-errors (@fastify/sensible) error that says expose: true', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw Object.assign(new Error('Email already registered'), {
          status: 409,
          statusCode: 409,
          expose: true,
          headers: { 'x-conflict': 'email' },
        })
      })
      const res = await app.inject('/')
      expect(expectProblem(res, 409, 'CONFLICT').detail).toBe('Email already registered')
      expect(res.headers['x-conflict']).toBe('email')
    })

    it('should drop extension members JSON cannot hold and still answer', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw new HttpError(400, 'bad', { extensions: { big: 10n } })
      })
      const body = expectProblem(await app.inject('/'), 400, 'BAD_REQUEST')
      expect(body).not.toHaveProperty('big')
    })
  })

  describe('errors that break the handler', () => {
    const unreadable: Array<[string, () => unknown]> = [
      [
        'an error whose statusCode getter throws',
        () =>
          Object.defineProperty(new Error('x'), 'statusCode', {
            get() {
              throw new Error('getter')
            },
          }),
      ],
      [
        'a Proxy that throws on every read',
        () =>
          new Proxy(new Error('x'), {
            get() {
              throw new Error('getter')
            },
          }),
      ],
      [
        'an HttpError whose extensions have a throwing getter',
        () =>
          new HttpError(422, 'x', {
            extensions: {
              get boom() {
                throw new Error('getter')
              },
            },
          }),
      ],
    ]
    it.each(unreadable)('should answer a generic 500 problem document for %s', async (_name, make) => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw make()
      })
      const res = await app.inject('/')
      expect(expectProblem(res, 500, 'INTERNAL_SERVER_ERROR').detail).toBe('Internal Server Error')
      expect(res.body).not.toContain('getter')
      expect(linesAt(logged.lines, 50)).toHaveLength(1)
    })

    it('should still answer when the error cannot be serialized for the log', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        // pino's error serializer reads every enumerable property; keel's handler does not read this one.
        throw Object.defineProperty(new Error('x'), 'details', {
          enumerable: true,
          get() {
            throw new Error('getter')
          },
        })
      })
      const res = await app.inject('/')
      expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      expect(res.body).not.toContain('getter')
      const errors = linesAt(logged.lines, 50)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ statusCode: 500, err: { message: expect.stringMatching(/could not be read/) } })
    })

    it('should skip error headers that Node refuses (CR/LF, bad names) and send the valid ones', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw new HttpError(429, 'Slow down', {
          headers: { 'x-bad': 'a\r\nSet-Cookie: session=evil', 'bad name': 'x', 'retry-after': '5' },
        })
      })
      const res = await app.inject('/')
      expectProblem(res, 429, 'TOO_MANY_REQUESTS')
      expect(res.headers['retry-after']).toBe('5')
      expect(res.headers['x-bad']).toBeUndefined()
      expect(res.headers['set-cookie']).toBeUndefined()
      expect(res.rawPayload.toString()).not.toContain('evil')
    })

    it('should never let error headers set cookies, content-* or transfer-encoding', async () => {
      const app = await withErrors()
      app.get('/', async () => {
        throw new HttpError(400, 'bad', {
          headers: {
            'Set-Cookie': 'session=evil',
            'content-encoding': 'gzip',
            'content-length': '1',
            'Content-Type': 'text/html',
            'transfer-encoding': 'chunked',
            'x-kept': 'yes',
          },
        })
      })
      // Over real HTTP, so a wrong content-length or transfer-encoding would break the response.
      await app.listen({ port: 0, host: '127.0.0.1' })
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/`)
      expect(res.status).toBe(400)
      expect(res.headers.get('set-cookie')).toBeNull()
      expect(res.headers.get('content-encoding')).toBeNull()
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
      expect(res.headers.get('x-kept')).toBe('yes')
      expect(((await res.json()) as { code: string }).code).toBe('BAD_REQUEST')
    })

    it('should never overwrite a header already set on the reply, such as x-request-id', async () => {
      app = Fastify()
      await app.register(keelRequestId)
      await app.register(keelErrors)
      app.get('/', async (_request, reply) => {
        reply.header('retry-after', '10')
        throw new HttpError(503, 'busy', { headers: { 'x-request-id': 'forged', 'retry-after': '1' } })
      })
      const res = await app.inject({ url: '/', headers: { 'x-request-id': 'req-1' } })
      const body = expectProblem(res, 503, 'SERVICE_UNAVAILABLE')
      expect(res.headers['x-request-id']).toBe('req-1')
      expect(body.requestId).toBe('req-1')
      expect(res.headers['retry-after']).toBe('10')
    })
  })

  describe('logging', () => {
    it('should log a 5xx once at error level with the stack and the request id', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw new Error('kaboom')
      })
      const res = await app.inject('/')
      const body = expectProblem(res, 500, 'INTERNAL_SERVER_ERROR')
      const errors = linesAt(logged.lines, 50)
      expect(errors).toHaveLength(1)
      const line = errors[0] as unknown as { reqId: string; err: { stack: string; message: string }; code: string }
      expect(line.reqId).toBe(body.requestId)
      expect(line.err.message).toBe('kaboom')
      expect(line.err.stack).toContain('plugin.test')
      expect(line.code).toBe('INTERNAL_SERVER_ERROR')
    })

    it('should log a non-Error throw at error level without its value', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw 'the-secret-value'
      })
      await app.inject('/')
      const errors = linesAt(logged.lines, 50)
      expect(errors).toHaveLength(1)
      expect(JSON.stringify(errors[0])).not.toContain('the-secret-value')
      expect((errors[0] as unknown as { err: { stack: string } }).err.stack).toEqual(expect.any(String))
    })

    it('should log a deliberate 503 HttpError once at warn level without a stack', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw httpErrors.serviceUnavailable('shedding', { code: 'SERVICE_OVERLOADED' })
      })
      const body = expectProblem(await app.inject('/'), 503, 'SERVICE_OVERLOADED')
      expect(linesAt(logged.lines, 50)).toHaveLength(0)
      const warnings = linesAt(logged.lines, 40)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({ reqId: body.requestId, statusCode: 503, code: 'SERVICE_OVERLOADED' })
      expect(JSON.stringify(warnings[0])).not.toMatch(/stack|plugin\.test/)
    })

    it('should log @fastify/under-pressure load shedding at warn level without a stack', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      await app.register(underPressure, { healthCheck: async () => false, healthCheckInterval: 60_000 })
      app.get('/', async () => 'ok')
      expectProblem(await app.inject('/'), 503, 'SERVICE_OVERLOADED')
      expect(linesAt(logged.lines, 50)).toHaveLength(0)
      const warnings = linesAt(logged.lines, 40).filter((line) => line.code === 'SERVICE_OVERLOADED')
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).not.toHaveProperty('err')
    })

    it('should keep other 5xx HttpErrors at error level with the stack', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw httpErrors.badGateway('upstream said no')
      })
      expectProblem(await app.inject('/'), 502, 'BAD_GATEWAY')
      const errors = linesAt(logged.lines, 50)
      expect(errors).toHaveLength(1)
      expect((errors[0] as unknown as { err: { stack: string } }).err.stack).toContain('plugin.test')
    })

    it.each([
      ['a 502 raised operational', 502, true, 40],
      ['a 503 raised not operational', 503, false, 50],
    ] as const)('should log %s as the code that raised it decided', async (_name, status, operational, level) => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw new HttpError(status, 'upstream is down', { code: 'UPSTREAM_DOWN', operational })
      })
      expectProblem(await app.inject('/'), status, 'UPSTREAM_DOWN')
      const lines = logged.lines.filter((line) => line.code === 'UPSTREAM_DOWN')
      expect(lines.map((line) => line.level)).toEqual([level])
      expect('err' in (lines[0] ?? {})).toBe(!operational)
    })

    it('should log a 4xx once at info level with its code and no error line', async () => {
      const logged = appWithLogs()
      app = logged.app
      await app.register(keelErrors)
      app.get('/', async () => {
        throw httpErrors.notFound('nope', { code: 'USER_NOT_FOUND' })
      })
      const body = expectProblem(await app.inject('/'), 404, 'USER_NOT_FOUND')
      const matching = logged.lines.filter((line) => line.code === 'USER_NOT_FOUND')
      expect(matching).toHaveLength(1)
      expect(matching[0]).toMatchObject({ level: 30, reqId: body.requestId, statusCode: 404 })
      expect(linesAt(logged.lines, 50)).toHaveLength(0)
    })
  })

  describe('options', () => {
    it('should build type from typeBaseUri and the code in kebab case', async () => {
      const app = await withErrors({ typeBaseUri: 'https://errors.example.com/' })
      app.get('/', async () => {
        throw httpErrors.conflict('taken', { code: 'USER_EMAIL_TAKEN' })
      })
      const body = expectProblem(await app.inject('/'), 409, 'USER_EMAIL_TAKEN')
      expect(body.type).toBe('https://errors.example.com/user-email-taken')
    })

    it('should let transform add members to the document', async () => {
      const app = await withErrors({
        transform: (problem, error, request) => ({
          ...problem,
          docs: `https://docs.example.com/${problem.code}`,
          method: request.method,
          isHttp: error instanceof HttpError,
        }),
      })
      app.get('/', async () => {
        throw httpErrors.badRequest()
      })
      const body = expectProblem(await app.inject('/'), 400, 'BAD_REQUEST')
      expect(body).toMatchObject({ docs: 'https://docs.example.com/BAD_REQUEST', method: 'GET', isHttp: true })
    })

    it('should send the untransformed document when transform throws', async () => {
      const app = await withErrors({
        transform: () => {
          throw new Error('bug in transform')
        },
      })
      app.get('/', async () => {
        throw httpErrors.badRequest('x')
      })
      expectProblem(await app.inject('/'), 400, 'BAD_REQUEST')
    })

    const badOptions: Array<[string, unknown, string]> = [
      ['a non-object', 'yes', 'KEEL_ERR_ERRORS_INVALID_OPTION'],
      ['a non-boolean exposeInternalErrors', { exposeInternalErrors: 'true' }, 'KEEL_ERR_ERRORS_INVALID_OPTION'],
      ['a non-function transform', { transform: {} }, 'KEEL_ERR_ERRORS_INVALID_OPTION'],
      ['an unknown option', { exposeInternalError: true }, 'KEEL_ERR_ERRORS_INVALID_OPTION'],
      ['a relative typeBaseUri', { typeBaseUri: '/errors' }, 'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI'],
      ['a non-string typeBaseUri', { typeBaseUri: 42 }, 'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI'],
    ]
    it.each(badOptions)('should fail boot with a clear error for %s', async (_name, options, code) => {
      app = Fastify()
      await expect(app.register(keelErrors, options as never)).rejects.toMatchObject({ name: 'KeelConfigError', code })
    })

    it('should validate the options of createErrorHandler when it is created', () => {
      expect(() => createErrorHandler({ typeBaseUri: 'nope' })).toThrow(
        expect.objectContaining({ code: 'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI' }),
      )
    })

    it('should refuse to be registered twice in one context', async () => {
      app = Fastify()
      await app.register(keelErrors)
      await expect(app.register(keelErrors)).rejects.toMatchObject({ code: 'KEEL_ERR_ERRORS_ALREADY_REGISTERED' })
    })

    it('should explain a not-found handler already set at the root', async () => {
      app = Fastify()
      app.setNotFoundHandler(async () => 'mine')
      await expect(app.register(keelErrors)).rejects.toMatchObject({ code: 'KEEL_ERR_ERRORS_NOT_FOUND_HANDLER_SET' })
    })
  })

  describe('not found', () => {
    it('should answer an unknown route with 404 ROUTE_NOT_FOUND', async () => {
      const app = await withErrors()
      const res = await app.inject({ method: 'DELETE', url: '/nope/here?x=1' })
      const body = expectProblem(res, 404, 'ROUTE_NOT_FOUND')
      expect(body.instance).toBe('/nope/here')
      expect(body.title).toBe('Not Found')
    })
  })

  describe('encapsulation', () => {
    it("should let a child context's own error handler win inside that context", async () => {
      const app = await withErrors()
      await app.register(async (child) => {
        child.setErrorHandler(async (_error, _request, reply) => reply.code(418).send({ mine: true }))
        child.get('/child', async () => {
          throw httpErrors.badRequest()
        })
      })
      app.get('/root', async () => {
        throw httpErrors.badRequest()
      })
      const child = await app.inject('/child')
      expect(child.statusCode).toBe(418)
      expect(child.json()).toEqual({ mine: true })
      expectProblem(await app.inject('/root'), 400, 'BAD_REQUEST')
    })

    it('should render what a child error handler rethrows as a problem document', async () => {
      const app = await withErrors()
      await app.register(async (child) => {
        child.setErrorHandler(async (error) => {
          throw httpErrors.unprocessableEntity(`wrapped: ${(error as Error).message}`, { code: 'WRAPPED' })
        })
        child.get('/child', async () => {
          throw new Error('inner')
        })
      })
      const body = expectProblem(await app.inject('/child'), 422, 'WRAPPED')
      expect(body.detail).toBe('wrapped: inner')
    })

    it('should let apps wrap createErrorHandler in their own handler', async () => {
      app = Fastify()
      const render = createErrorHandler({ typeBaseUri: 'https://e.example.com' })
      const seen: unknown[] = []
      app.setErrorHandler((error, request, reply) => {
        seen.push(error)
        render(error, request, reply)
      })
      app.get('/', async () => {
        throw httpErrors.gone()
      })
      const body = expectProblem(await app.inject('/'), 410, 'GONE')
      expect(body.type).toBe('https://e.example.com/gone')
      expect(seen).toHaveLength(1)
    })

    it('should render Fastify framework errors when used as frameworkErrors', async () => {
      const render = createErrorHandler()
      app = Fastify({ frameworkErrors: (error, request, reply) => render(error, request, reply) })
      await app.register(keelErrors)
      app.get('/:id', async () => 'ok')
      expectProblem(await app.inject('/%E0%A4%A'), 400, 'BAD_URL')
    })
  })
})
