import { randomBytes } from 'node:crypto'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import defaultExport, {
  CursorPaginationQuery,
  cursorQuery,
  decodeCursor,
  encodeCursor,
  keelPagination,
  offsetQuery,
  PAGINATION_CONFIG_CODES,
  PAGINATION_ERROR_CODES,
  PaginationMeta,
  parseSort,
  sortQuery,
} from 'fastify-keel/pagination'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentedCodes, plain } from '../helpers/docs-tables.js'

const secret = randomBytes(32).toString('hex')

describe('pagination', () => {
  it('should export the plugin by name and as default', () => {
    expect(defaultExport).toBe(keelPagination)
  })

  it('should register the meta schemas as shared schemas', async () => {
    const app = Fastify()
    await app.register(keelPagination)
    expect(Object.keys(app.getSchemas())).toEqual(['KeelPaginationMeta', 'KeelCursorPaginationMeta'])
    // Hand-written schemas can reference them.
    app.get(
      '/ref',
      {
        schema: {
          response: { 200: { type: 'object', properties: { pagination: { $ref: 'KeelCursorPaginationMeta#' } } } },
        },
      },
      async () => ({ pagination: { limit: 5, nextCursor: null, hasMore: false, secret: 'dropped' } }),
    )
    const response = await app.inject('/ref')
    expect(response.json()).toEqual({ pagination: { limit: 5, nextCursor: null, hasMore: false } })
    await app.close()
  })

  it('should keep shared schemas a parent already has', async () => {
    const app = Fastify()
    app.addSchema(PaginationMeta)
    await app.register(keelPagination)
    await expect(app.ready()).resolves.toBeDefined()
    expect(Object.keys(app.getSchemas())).toEqual(['KeelPaginationMeta', 'KeelCursorPaginationMeta'])
    await app.close()
  })

  it.each([
    ['twice in one context', async (app: FastifyInstance) => app.register(keelPagination)],
    [
      'again in a child context',
      async (app: FastifyInstance) => app.register(async (child) => child.register(keelPagination)),
    ],
  ])('should fail boot when registered %s', async (_name, registerAgain) => {
    const app = Fastify()
    await app.register(keelPagination)
    await expect(registerAgain(app).then(() => app.ready())).rejects.toMatchObject({
      code: 'KEEL_ERR_PAGINATION_ALREADY_REGISTERED',
    })
    await app.close()
  })

  it('should bind the cursor helpers to cursorSecret', async () => {
    const app = Fastify()
    await app.register(keelPagination, { cursorSecret: secret })
    const cursor = app.pagination.encodeCursor([3, 'x'])
    expect(decodeCursor(cursor, { secret })).toEqual([3, 'x'])
    expect(app.pagination.decodeCursor(encodeCursor([1], { secret }), ['integer'])).toEqual([1])
    expect(() => app.pagination.decodeCursor(encodeCursor([1]))).toThrow(
      expect.objectContaining({ code: 'INVALID_CURSOR', statusCode: 400 }),
    )
    const page = app.pagination.cursorPage([{ id: 1 }, { id: 2 }], { limit: 1 }, (row) => [row.id])
    expect(decodeCursor(page.pagination.nextCursor as string, { secret })).toEqual([1])
    await app.close()
  })

  it('should accept and produce cursors up to maxCursorLength when it is raised above 512', async () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    await app.register(keelPagination, { cursorSecret: secret, maxCursorLength: 2048 })
    app.get('/events', { schema: { querystring: cursorQuery({ maxCursorLength: 2048 }) } }, async (request) => ({
      values: request.query.cursor === undefined ? [] : app.pagination.decodeCursor(request.query.cursor, ['string']),
    }))
    try {
      const long = 'x'.repeat(1000)
      const cursor = app.pagination.encodeCursor([long])
      expect(cursor.length).toBeGreaterThan(512)
      expect(app.pagination.decodeCursor(cursor)).toEqual([long])
      const page = app.pagination.cursorPage([{ id: long }, { id: 'y' }], { limit: 1 }, (row) => [row.id])
      expect(page.pagination.nextCursor).toBe(cursor)
      const response = await app.inject({ url: '/events', query: { cursor } })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ values: [long] })
      // Still bounded: a cursor over the configured length is refused.
      const tooLong = encodeCursor(['x'.repeat(2000)], { secret, maxLength: 4096 })
      expect(() => app.pagination.decodeCursor(tooLong)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }))
      expect(() => app.pagination.encodeCursor(['x'.repeat(2000)])).toThrow(RangeError)
    } finally {
      await app.close()
    }
  })

  it('should keep the 512-character default for maxCursorLength', async () => {
    const app = Fastify()
    await app.register(keelPagination)
    const cursor = encodeCursor(['x'.repeat(500)], { maxLength: 1024 })
    expect(cursor.length).toBeGreaterThan(512)
    expect(() => app.pagination.decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }))
    expect(() => app.pagination.encodeCursor(['x'.repeat(500)])).toThrow(RangeError)
    await app.close()
  })

  it('should make unsigned cursors without cursorSecret', async () => {
    const app = Fastify()
    await app.register(keelPagination)
    expect(app.pagination.decodeCursor(app.pagination.encodeCursor([7]))).toEqual([7])
    await app.close()
  })

  it.each([
    ['options that are not an object', 'yes', 'KEEL_ERR_PAGINATION_INVALID_OPTION'],
    ['an unknown option', { secret }, 'KEEL_ERR_PAGINATION_INVALID_OPTION'],
    ['a short cursorSecret', { cursorSecret: 'short' }, 'KEEL_ERR_PAGINATION_INVALID_SECRET'],
    ['a cursorSecret of the wrong type', { cursorSecret: 42 }, 'KEEL_ERR_PAGINATION_INVALID_SECRET'],
    ['an empty cursorSecret list', { cursorSecret: [] }, 'KEEL_ERR_PAGINATION_INVALID_SECRET'],
    ['a rotated key that is too short', { cursorSecret: [secret, 'old'] }, 'KEEL_ERR_PAGINATION_INVALID_SECRET'],
    ['maxCursorLength 0', { maxCursorLength: 0 }, 'KEEL_ERR_PAGINATION_INVALID_LIMIT'],
    ['a fractional maxCursorLength', { maxCursorLength: 600.5 }, 'KEEL_ERR_PAGINATION_INVALID_LIMIT'],
    ['a string maxCursorLength', { maxCursorLength: '2048' }, 'KEEL_ERR_PAGINATION_INVALID_LIMIT'],
    ['an Infinity maxCursorLength', { maxCursorLength: Number.POSITIVE_INFINITY }, 'KEEL_ERR_PAGINATION_INVALID_LIMIT'],
  ])('should fail boot for %s', async (_name, options, code) => {
    const app = Fastify()
    await expect(app.register(keelPagination, options as never)).rejects.toMatchObject({ code })
    await app.close()
  })

  it.each([
    ['maxLimit 0', () => offsetQuery({ maxLimit: 0 })],
    ['a fractional defaultLimit', () => offsetQuery({ defaultLimit: 2.5 })],
    ['defaultLimit over maxLimit', () => cursorQuery({ defaultLimit: 50, maxLimit: 10 })],
    ['a string maxPage', () => offsetQuery({ maxPage: '10' as never })],
    ['maxCursorLength 0', () => cursorQuery({ maxCursorLength: 0 })],
  ])('should refuse %s with KEEL_ERR_PAGINATION_INVALID_LIMIT', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'KEEL_ERR_PAGINATION_INVALID_LIMIT' }))
  })

  it('should refuse an unknown factory option in the one message shape', () => {
    expect(() => offsetQuery({ maxLimt: 50 } as never)).toThrow(
      expect.objectContaining({
        code: 'KEEL_ERR_PAGINATION_INVALID_OPTION',
        message: expect.stringMatching(
          /^fastify-keel\/pagination: option "offsetQuery.maxLimt" is unknown, got 50; did you mean "offsetQuery.maxLimit"\?/,
        ),
      }),
    )
    expect(() => cursorQuery({ maxPage: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_PAGINATION_INVALID_OPTION' }),
    )
  })

  it('should never echo a cursor secret in its error', () => {
    expect(() => encodeCursor([1], { secret: 'short-secret-value' })).toThrow(
      expect.objectContaining({
        code: 'KEEL_ERR_PAGINATION_INVALID_SECRET',
        message: expect.not.stringContaining('short-secret-value'),
      }),
    )
  })

  it('should lower the default limit to a smaller maxLimit', () => {
    expect(offsetQuery({ maxLimit: 10 }).properties.limit.default).toBe(10)
  })

  it.each([
    ['no fields', () => sortQuery([])],
    ['a field with SQL in it', () => sortQuery(['name; drop table users'])],
    ['a field starting with -', () => sortQuery(['-name'])],
    ['a repeated field', () => sortQuery(['name', 'name'])],
    ['a default outside the allowlist', () => sortQuery(['name'], { default: 'password' })],
    ['a default naming a field twice', () => sortQuery(['name'], { default: 'name,-name' })],
    ['parseSort given a plain object', () => parseSort('name', {} as never)],
  ])('should refuse %s with KEEL_ERR_PAGINATION_INVALID_SORT', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'KEEL_ERR_PAGINATION_INVALID_SORT' }))
  })

  it.each([['password'], [''], ['name,name'], ['name,'], ['-']])(
    'should refuse the unvalidated sort %j in parseSort with 400 INVALID_SORT',
    (value) => {
      expect(() => parseSort(value, ['name', 'email'])).toThrow(
        expect.objectContaining({ statusCode: 400, code: 'INVALID_SORT' }),
      )
    },
  )

  it('should parse an allowlist array and return fresh default terms', () => {
    expect(parseSort('-email,name', ['name', 'email'])).toEqual([
      { field: 'email', direction: 'desc' },
      { field: 'name', direction: 'asc' },
    ])
    const schema = sortQuery(['name'], { default: '-name' })
    const first = parseSort(undefined, schema)
    first.push({ field: 'name', direction: 'asc' })
    expect(parseSort(undefined, schema)).toEqual([{ field: 'name', direction: 'desc' }])
  })

  describe('with keelErrors', () => {
    let app: FastifyInstance
    beforeAll(async () => {
      app = await build()
    })
    afterAll(async () => {
      await app.close()
    })

    async function build() {
      const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
      await app.register(keelErrors)
      await app.register(keelPagination, { cursorSecret: secret })
      const UserSort = sortQuery(['name', 'email', 'createdAt'])
      app.get('/users', { schema: { querystring: Type.Composite([offsetQuery(), UserSort]) } }, async (request) => ({
        sort: parseSort(request.query.sort, UserSort),
      }))
      app.get('/events', { schema: { querystring: CursorPaginationQuery } }, async (request) => ({
        values: request.query.cursor === undefined ? [] : app.pagination.decodeCursor(request.query.cursor),
      }))
      return app
    }

    it.each([
      ['/users?limit=0'],
      ['/users?limit=101'],
      ['/users?limit=abc'],
      ['/users?limit=Infinity'],
      ['/users?page=-1'],
      ['/users?page=1.5'],
      ['/users?sort=password'],
      ['/users?sort=name;drop%20table'],
      ['/users?sort=name,name'],
      ['/users?sort='],
      [`/events?cursor=${'a'.repeat(513)}`],
    ])('should answer %s with a VALIDATION_FAILED problem document', async (url) => {
      const response = await app.inject(url)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' })
    })

    it.each([['garbage'], [encodeCursor([1])], [`${encodeCursor([1], { secret })}x`]])(
      'should answer the bad cursor %s with an INVALID_CURSOR problem document',
      async (cursor) => {
        const response = await app.inject({ url: '/events', query: { cursor } })
        expect(response.statusCode).toBe(400)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(response.json()).toMatchObject({ status: 400, code: 'INVALID_CURSOR', instance: '/events' })
      },
    )
  })

  it('should document every HTTP error code with its status and when it is sent', () => {
    expect(documentedCodes('pagination').response).toEqual(plain(PAGINATION_ERROR_CODES))
  })

  it('should document every configuration error code with when and fix', () => {
    expect(documentedCodes('pagination').config).toEqual(plain(PAGINATION_CONFIG_CODES))
  })
})
