import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const User = Type.Object({
  email: Type.String({ format: 'email' }),
  age: Type.Integer({ minimum: 0 }),
  address: Type.Optional(Type.Object({ zip: Type.String({ pattern: '^[0-9]{5}$' }) })),
  'a/b~c': Type.Optional(Type.String()),
})

async function build(options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  app = Fastify(options)
  await app.register(keelErrors)
  app.post(
    '/users/:id',
    {
      schema: {
        body: User,
        params: Type.Object({ id: Type.Integer() }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ maximum: 100 })) }),
        headers: Type.Object({ 'x-api-version': Type.Optional(Type.Literal('1')) }),
      },
    },
    async () => ({ ok: true }),
  )
  app.get(
    '/search',
    { schema: { querystring: Type.Object({ q: Type.String({ minLength: 2 }) }, { additionalProperties: false }) } },
    async () => ({ ok: true }),
  )
  app.get(
    '/secure',
    { schema: { headers: Type.Object({ 'x-api-key': Type.String({ minLength: 8 }) }) } },
    async () => ({ ok: true }),
  )
  return app
}

const valid = { email: 'a@example.com', age: 3 }

describe('errors', () => {
  describe('validation', () => {
    const cases: Array<[string, Record<string, unknown>, { location: string; pointer: string; keyword: string }]> = [
      [
        'a body field of the wrong format',
        { url: '/users/1', payload: { ...valid, email: 'nope' } },
        { location: 'body', pointer: '/email', keyword: 'format' },
      ],
      [
        'a missing body field',
        { url: '/users/1', payload: { email: 'a@example.com' } },
        { location: 'body', pointer: '/age', keyword: 'required' },
      ],
      [
        'a nested body field',
        { url: '/users/1', payload: { ...valid, address: { zip: 'abc' } } },
        { location: 'body', pointer: '/address/zip', keyword: 'pattern' },
      ],
      [
        'a body field whose name needs JSON Pointer escaping',
        { url: '/users/1', payload: { ...valid, 'a/b~c': { not: 'a string' } } },
        { location: 'body', pointer: '/a~1b~0c', keyword: 'type' },
      ],
      [
        'a body of the wrong type',
        { url: '/users/1', payload: [1, 2] },
        { location: 'body', pointer: '', keyword: 'type' },
      ],
      [
        'a path parameter',
        { url: '/users/abc', payload: valid },
        { location: 'params', pointer: '/id', keyword: 'type' },
      ],
      [
        'a querystring value',
        { url: '/users/1?limit=500', payload: valid },
        { location: 'querystring', pointer: '/limit', keyword: 'maximum' },
      ],
      [
        'a header value',
        { url: '/users/1', payload: valid, headers: { 'x-api-version': '2' } },
        { location: 'headers', pointer: '/x-api-version', keyword: 'const' },
      ],
      [
        'a missing header',
        { url: '/secure', method: 'GET' },
        { location: 'headers', pointer: '/x-api-key', keyword: 'required' },
      ],
    ]
    it.each(cases)('should answer 400 VALIDATION_FAILED with one entry for %s', async (_name, request, expected) => {
      const app = await build()
      const res = await app.inject({ method: 'POST', ...request })
      const body = expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(body.errors).toEqual([{ ...expected, message: expect.any(String) }])
    })

    it('should report every failing field when Ajv allErrors is on', async () => {
      const app = await build({ ajv: { customOptions: { allErrors: true } } })
      const res = await app.inject({
        method: 'POST',
        url: '/users/1',
        payload: { email: 'nope', age: -1, address: {} },
      })
      const body = expectProblem(res, 400, 'VALIDATION_FAILED')
      const errors = body.errors as Array<{ pointer: string; keyword: string; location: string }>
      expect(errors.map((e) => [e.location, e.pointer, e.keyword]).sort()).toEqual(
        [
          ['body', '/address/zip', 'required'],
          ['body', '/age', 'minimum'],
          ['body', '/email', 'format'],
        ].sort(),
      )
    })

    it('should keep one entry per field when a field fails several keywords', async () => {
      app = Fastify({ ajv: { customOptions: { allErrors: true } } })
      await app.register(keelErrors)
      app.post(
        '/',
        { schema: { body: Type.Object({ name: Type.String({ minLength: 5, pattern: '^[a-z]+$' }) }) } },
        async () => 'ok',
      )
      const body = expectProblem(
        await app.inject({ method: 'POST', url: '/', payload: { name: 'A1' } }),
        400,
        'VALIDATION_FAILED',
      )
      expect(body.errors).toHaveLength(1)
      expect(body.errors).toEqual([expect.objectContaining({ pointer: '/name' })])
    })

    it('should point at the extra property for additionalProperties', async () => {
      const app = await build({ ajv: { customOptions: { removeAdditional: false, allErrors: true } } })
      const res = await app.inject({ method: 'GET', url: '/search?q=x&debug=1' })
      const body = expectProblem(res, 400, 'VALIDATION_FAILED')
      const errors = body.errors as Array<{ pointer: string; keyword: string; location: string }>
      expect(errors.map((e) => [e.location, e.pointer, e.keyword]).sort()).toEqual([
        ['querystring', '/debug', 'additionalProperties'],
        ['querystring', '/q', 'minLength'],
      ])
    })

    it('should answer a valid request normally', async () => {
      const app = await build()
      const res = await app.inject({ method: 'POST', url: '/users/1', payload: valid })
      expect(res.statusCode).toBe(200)
    })
  })
})
