import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const body = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    role: { type: 'string' },
    age: { type: 'integer' },
    email: { type: 'string', format: 'email' },
  },
} as const

async function build(strictBody: boolean | undefined, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  app = Fastify(server)
  await app.register(keelErrors, strictBody === undefined ? {} : { strictBody })
  const schema = {
    body,
    querystring: {
      type: 'object',
      properties: { limit: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
    },
    params: { type: 'object', properties: { id: { type: 'integer' } } },
    headers: { type: 'object', properties: { 'x-count': { type: 'integer' } } },
  }
  app.post('/items/:id', { schema }, async (request) => ({
    body: request.body,
    query: request.query,
    params: request.params,
    count: (request.headers as Record<string, unknown>)['x-count'],
  }))
  return app
}

function post(app: FastifyInstance, payload: unknown, url = '/items/42') {
  return app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { 'content-type': 'application/json' },
  })
}

describe('errors', () => {
  describe('strictBody', () => {
    it.each([
      ['a number for a string', { name: 123 }, '/name'],
      ['an array for a string', { name: 'Ada', role: ['admin'] }, '/role'],
      ['a numeric string for an integer', { name: 'Ada', age: '42' }, '/age'],
      ['a boolean for a string', { name: true }, '/name'],
      ['null for a string', { name: null }, '/name'],
    ])('should refuse %s in a JSON body', async (_name, payload, pointer) => {
      const app = await build(true)
      const problem = expectProblem(await post(app, payload), 400, 'VALIDATION_FAILED')
      expect(problem.errors).toEqual([expect.objectContaining({ location: 'body', pointer, keyword: 'type' })])
    })

    it('should keep coercing querystring, params and headers', async () => {
      const app = await build(true)
      const res = await app.inject({
        method: 'POST',
        url: '/items/42?limit=20&tags=a',
        payload: { name: 'Ada', age: 42 },
        headers: { 'x-count': '3' },
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({
        body: { name: 'Ada', age: 42 },
        query: { limit: 20, tags: ['a'] },
        params: { id: 42 },
        count: 3,
      })
    })

    it("should keep Fastify's Ajv defaults and formats for bodies", async () => {
      const app = await build(true)
      app.post(
        '/closed',
        {
          schema: {
            body: {
              type: 'object',
              properties: { a: { type: 'string' }, n: { type: 'integer', default: 1 } },
              additionalProperties: false,
            },
          },
        },
        async (request) => request.body,
      )
      // removeAdditional and useDefaults, as Fastify configures Ajv
      expect((await post(app, { a: 'x', extra: 'dropped' }, '/closed')).json()).toEqual({ a: 'x', n: 1 })
      const problem = expectProblem(await post(app, { name: 'Ada', email: 'not-an-email' }), 400, 'VALIDATION_FAILED')
      expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/email', keyword: 'format' })])
    })

    it("should honour the app's ajv server options", async () => {
      const app = await build(true, { ajv: { customOptions: { removeAdditional: false } } })
      app.post(
        '/closed',
        { schema: { body: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } } },
        async () => 'ok',
      )
      expectProblem(await post(app, { a: 'x', b: 'y' }, '/closed'), 400, 'VALIDATION_FAILED')
    })

    it('should let a route keep its own validator compiler', async () => {
      const app = await build(true)
      app.post(
        '/own',
        { schema: { body: { type: 'object' } }, validatorCompiler: () => () => true },
        async (request) => request.body,
      )
      expect((await post(app, { name: 123 }, '/own')).json()).toEqual({ name: 123 })
    })

    it.each([undefined, false])('should coerce bodies as Fastify does when strictBody is %s', async (strictBody) => {
      const app = await build(strictBody)
      const res = await post(app, { name: 123, role: ['admin'] })
      expect(res.statusCode).toBe(200)
      expect(res.json().body).toEqual({ name: '123', role: 'admin' })
    })

    it('should refuse a strictBody that is not a boolean', async () => {
      app = Fastify()
      await expect(app.register(keelErrors, { strictBody: 'yes' as never })).rejects.toMatchObject({
        code: 'KEEL_ERR_ERRORS_INVALID_OPTION',
      })
    })
  })
})
