import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import {
  composeQuery,
  cursorQuery,
  OffsetPaginationQuery,
  offsetQuery,
  parseSort,
  sortQuery,
} from 'fastify-keel/pagination'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const UserSort = sortQuery(['name', 'email', 'createdAt'], { default: '-createdAt' })
const OptionalSort = sortQuery(['name', 'email', 'user.createdAt'])

async function buildApp(): Promise<FastifyInstance> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  app.get('/offset', { schema: { querystring: composeQuery([offsetQuery(), UserSort]) } }, async (request) => ({
    page: request.query.page,
    limit: request.query.limit,
    sort: parseSort(request.query.sort, UserSort),
  }))
  app.get('/cursor', { schema: { querystring: cursorQuery({ defaultLimit: 10, maxLimit: 50 }) } }, async (request) => ({
    cursor: request.query.cursor ?? null,
    limit: request.query.limit,
  }))
  app.get('/optional-sort', { schema: { querystring: OptionalSort } }, async (request) => ({
    sort: parseSort(request.query.sort, OptionalSort),
  }))
  app.get(
    '/extra',
    {
      schema: {
        querystring: composeQuery([OffsetPaginationQuery, Type.Object({ q: Type.Optional(Type.String()) })]),
      },
    },
    async (request) => request.query,
  )
  await app.ready()
  return app
}

describe('pagination', () => {
  let app: FastifyInstance
  beforeAll(async () => {
    app = await buildApp()
  })
  afterAll(async () => {
    await app.close()
  })

  it('should apply the defaults when no query is sent', async () => {
    const response = await app.inject('/offset')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ page: 1, limit: 20, sort: [{ field: 'createdAt', direction: 'desc' }] })
  })

  it('should coerce page and limit from the query string', async () => {
    const response = await app.inject('/offset?page=3&limit=100')
    expect(response.json()).toMatchObject({ page: 3, limit: 100 })
  })

  it('should parse a comma list of allowlisted fields with directions', async () => {
    const response = await app.inject('/offset?sort=name,-email')
    expect(response.json().sort).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'email', direction: 'desc' },
    ])
  })

  it('should accept dotted field names literally', async () => {
    const response = await app.inject('/optional-sort?sort=-user.createdAt')
    expect(response.statusCode).toBe(200)
    expect(response.json().sort).toEqual([{ field: 'user.createdAt', direction: 'desc' }])
    // The dot is escaped in the pattern: it does not match any character.
    expect((await app.inject('/optional-sort?sort=userXcreatedAt')).statusCode).toBe(400)
  })

  it('should return no terms when an optional sort is absent', async () => {
    expect((await app.inject('/optional-sort')).json()).toEqual({ sort: [] })
  })

  it('should keep query parameters the schema does not declare', async () => {
    const response = await app.inject('/extra?q=alice&limit=5')
    expect(response.json()).toEqual({ q: 'alice', page: 1, limit: 5 })
  })

  it('should read a cursor and its own limit bounds', async () => {
    const response = await app.inject('/cursor?cursor=abc&limit=50')
    expect(response.json()).toEqual({ cursor: 'abc', limit: 50 })
    expect((await app.inject('/cursor')).json()).toEqual({ cursor: null, limit: 10 })
  })

  // Ajv coerces any string Number() reads as an integer; bounds still apply (documented in docs/pagination.md).
  it.each([
    ['page=1e3', 1000],
    ['page=0010', 10],
  ])('should read %s as the integer Ajv coerces it to', async (query, page) => {
    const response = await app.inject(`/offset?${query}`)
    expect(response.statusCode).toBe(200)
    expect(response.json().page).toBe(page)
  })

  it.each([
    ['/offset?limit=1.5'],
    ['/offset?limit='],
    ['/offset?limit=abc'],
    ['/offset?limit=0'],
    ['/offset?limit=101'],
    ['/offset?limit=-5'],
    ['/offset?limit=Infinity'],
    ['/offset?limit=-Infinity'],
    ['/offset?limit=1e999'],
    ['/offset?limit=NaN'],
    ['/offset?limit=10&limit=20'],
    ['/offset?page=-1'],
    ['/offset?page=0'],
    ['/offset?page=1.5'],
    ['/offset?page=1e5'],
    ['/offset?page=Infinity'],
    ['/offset?page=99999999999999999999999'],
    ['/offset?page=true'],
    ['/offset?sort=password'],
    ['/offset?sort=name;drop%20table'],
    ['/offset?sort=name%3Bdrop%20table'],
    ['/offset?sort='],
    ['/offset?sort=name,name'],
    ['/offset?sort=name,-name'],
    ['/offset?sort=-email,name,email'],
    ['/offset?sort=name,'],
    ['/offset?sort=,name'],
    ['/offset?sort=--name'],
    ['/offset?sort=NAME'],
    ['/offset?sort=name%0A'],
    ['/offset?sort=nameX'],
    [`/offset?sort=${'name,'.repeat(50)}name`],
    ['/cursor?cursor='],
    [`/cursor?cursor=${'a'.repeat(513)}`],
    ['/cursor?limit=51'],
  ])('should reject %s with 400', async (url) => {
    const response = await app.inject(url)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('FST_ERR_VALIDATION')
  })

  it('should accept every allowlisted field once, in any order, at the maximum length', async () => {
    const response = await app.inject('/offset?sort=-createdAt,-email,-name')
    expect(response.statusCode).toBe(200)
    expect(response.json().sort.map((term: { field: string }) => term.field)).toEqual(['createdAt', 'email', 'name'])
  })

  it('should serve the schemas over a real socket', async () => {
    const server = await buildApp()
    try {
      const address = await server.listen({ port: 0, host: '127.0.0.1' })
      const ok = await fetch(`${address}/offset?page=2&limit=5&sort=name`)
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ page: 2, limit: 5, sort: [{ field: 'name', direction: 'asc' }] })
      expect((await fetch(`${address}/offset?sort=password`)).status).toBe(400)
    } finally {
      await server.close()
    }
  })
})
