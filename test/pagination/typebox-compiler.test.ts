// keel's query schemas under @fastify/type-provider-typebox's TypeBoxValidatorCompiler (TypeBox 1's own
// compiler instead of Fastify's Ajv): query strings are converted by TypeBox's Value.Convert, and
// defaults are applied only by the wrapper documented in docs/pagination.md ("TypeBoxValidatorCompiler").
import { Type, type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifySchemaCompiler } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import {
  CursorPaginated,
  composeQuery,
  cursorPage,
  cursorQuery,
  offsetQuery,
  Paginated,
  paginate,
  parseSort,
  sortQuery,
} from 'fastify-keel/pagination'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The recipe of docs/pagination.md, as written there.
const typeBoxCompilerWithDefaults: FastifySchemaCompiler<TSchema> = (route) => {
  const validate = TypeBoxValidatorCompiler(route)
  return (value) => validate(Value.Default(route.schema, value))
}

const User = Type.Object({ id: Type.Integer(), name: Type.String() })
const UserSort = sortQuery(['name', 'email', 'createdAt'], { default: '-createdAt' })

async function buildApp(compiler: FastifySchemaCompiler<TSchema>) {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(compiler)
  await app.register(keelErrors)
  const UsersQuery = composeQuery([offsetQuery(), UserSort, Type.Object({ q: Type.Optional(Type.String()) })])
  app.get('/users', { schema: { querystring: UsersQuery, response: { 200: Paginated(User) } } }, async (request) => {
    const sort = parseSort(request.query.sort, UserSort)
    return paginate([{ id: request.query.page, name: `${sort[0]?.field}:${request.query.q ?? ''}` }], 1, request.query)
  })
  app.get(
    '/events',
    {
      schema: {
        querystring: cursorQuery({ defaultLimit: 10, maxLimit: 50 }),
        response: { 200: CursorPaginated(User) },
      },
    },
    async (request) =>
      cursorPage([{ id: request.query.limit, name: request.query.cursor ?? '' }], request.query, (row) => [row.id]),
  )
  await app.ready()
  return app
}

describe('pagination with TypeBoxValidatorCompiler', () => {
  describe('with the defaults wrapper', () => {
    let app: Awaited<ReturnType<typeof buildApp>>
    beforeAll(async () => {
      app = await buildApp(typeBoxCompilerWithDefaults)
    })
    afterAll(async () => {
      await app.close()
    })

    it('should apply the defaults when no query is sent', async () => {
      const response = await app.inject('/users')
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        data: [{ id: 1, name: 'createdAt:' }],
        pagination: { page: 1, limit: 20, total: 1, totalPages: 1, hasNext: false, hasPrev: false },
      })
      expect((await app.inject('/events')).json().pagination).toEqual({ limit: 10, nextCursor: null, hasMore: false })
    })

    it('should convert page and limit from the query string', async () => {
      const response = await app.inject('/users?page=3&limit=100&sort=name&q=ada')
      expect(response.statusCode).toBe(200)
      expect(response.json().data).toEqual([{ id: 3, name: 'name:ada' }])
      expect(response.json().pagination).toMatchObject({ page: 3, limit: 100 })
      expect((await app.inject('/events?limit=50&cursor=abc')).json().data).toEqual([{ id: 50, name: 'abc' }])
    })

    // TypeBox's Value.Convert is more lenient than Ajv (documented): it truncates and reads booleans and hex.
    it.each([
      ['page=1e3', 1000],
      ['page=0010', 10],
      ['page=1.5', 1],
      ['page=true', 1],
      ['page=0x10', 16],
    ])('should read %s as the integer Value.Convert makes of it', async (query, page) => {
      const response = await app.inject(`/users?${query}`)
      expect(response.statusCode).toBe(200)
      expect(response.json().pagination.page).toBe(page)
    })

    it.each([
      ['/users?limit='],
      ['/users?limit=abc'],
      ['/users?limit=0'],
      ['/users?limit=101'],
      ['/users?limit=-5'],
      ['/users?limit=Infinity'],
      ['/users?limit=-Infinity'],
      ['/users?limit=1e999'],
      ['/users?limit=NaN'],
      ['/users?limit=10&limit=20'],
      ['/users?page=-1'],
      ['/users?page=0'],
      ['/users?page=1e5'],
      ['/users?page=Infinity'],
      ['/users?page=99999999999999999999999'],
      ['/users?sort=password'],
      ['/users?sort=name;drop%20table'],
      ['/users?sort='],
      ['/users?sort=name,name'],
      ['/users?sort=NAME'],
      ['/users?sort=name%0A'],
      ['/events?cursor='],
      [`/events?cursor=${'a'.repeat(513)}`],
      ['/events?limit=51'],
    ])('should answer %s with a 400 VALIDATION_FAILED problem document', async (url) => {
      const response = await app.inject(url)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 })
      expect(response.json().errors[0]).toMatchObject({ location: 'querystring' })
    })
  })

  describe('without the wrapper', () => {
    it('should validate a query that sends every member', async () => {
      const app = await buildApp(TypeBoxValidatorCompiler)
      try {
        const response = await app.inject('/users?page=2&limit=5&sort=-name')
        expect(response.statusCode).toBe(200)
        expect(response.json().pagination).toMatchObject({ page: 2, limit: 5 })
        expect((await app.inject('/users?page=2&limit=500&sort=name')).statusCode).toBe(400)
      } finally {
        await app.close()
      }
    })

    // TypeBox treats `default` as metadata, so the members stay required: the reason for the wrapper.
    it('should answer a query without page and limit with a 400 naming the required members', async () => {
      const app = await buildApp(TypeBoxValidatorCompiler)
      try {
        const response = await app.inject('/users')
        expect(response.statusCode).toBe(400)
        expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
        expect(response.json().errors[0]).toMatchObject({ keyword: 'required', location: 'querystring' })
      } finally {
        await app.close()
      }
    })
  })
})
