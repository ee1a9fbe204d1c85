import { randomBytes } from 'node:crypto'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import {
  CursorPaginated,
  cursorPage,
  decodeCursor,
  OffsetPaginationQuery,
  Paginated,
  paginate,
} from 'fastify-keel/pagination'
import { describe, expect, it } from 'vitest'

const rows = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ id: from + i }))

describe('pagination', () => {
  it.each([
    // page, limit, total, rows on the page, expected meta
    [1, 20, 0, 0, { totalPages: 0, hasNext: false, hasPrev: false }],
    [1, 20, 20, 20, { totalPages: 1, hasNext: false, hasPrev: false }],
    [1, 20, 21, 20, { totalPages: 2, hasNext: true, hasPrev: false }],
    [2, 20, 21, 1, { totalPages: 2, hasNext: false, hasPrev: true }],
    [2, 10, 35, 10, { totalPages: 4, hasNext: true, hasPrev: true }],
    [4, 10, 35, 5, { totalPages: 4, hasNext: false, hasPrev: true }],
    [9, 10, 35, 0, { totalPages: 4, hasNext: false, hasPrev: true }],
    [3, 1, 3, 1, { totalPages: 3, hasNext: false, hasPrev: true }],
  ])('should build page %i of limit %i over %i rows', (page, limit, total, count, expected) => {
    const items = rows(count)
    const result = paginate(items, total, { page, limit })
    expect(result.data).toBe(items)
    expect(result.pagination).toEqual({ page, limit, total, ...expected })
  })

  it.each([
    ['page 0', 0, 10, 5],
    ['fractional limit', 1, 2.5, 5],
    ['limit 0', 1, 0, 5],
    ['negative total', 1, 10, -1],
    ['NaN total', 1, 10, Number.NaN],
  ])('should refuse %s in paginate', (_name, page, limit, total) => {
    expect(() => paginate([], total, { page, limit })).toThrow(TypeError)
  })

  it('should report no next page for fewer rows than the limit', () => {
    const result = cursorPage(rows(3), { limit: 5 }, (row) => [row.id])
    expect(result).toEqual({ data: rows(3), pagination: { limit: 5, nextCursor: null, hasMore: false } })
  })

  it('should report no next page for an empty result', () => {
    expect(cursorPage([], { limit: 5 }, () => [0]).pagination).toEqual({ limit: 5, nextCursor: null, hasMore: false })
  })

  it('should report no next page for exactly limit rows', () => {
    const result = cursorPage(rows(5), { limit: 5 }, (row) => [row.id])
    expect(result.data).toHaveLength(5)
    expect(result.pagination.hasMore).toBe(false)
    expect(result.pagination.nextCursor).toBeNull()
  })

  it('should trim the extra row and point the cursor at the last row kept', () => {
    const fetched = rows(6)
    const result = cursorPage(fetched, { limit: 5 }, (row) => [row.id])
    expect(result.data).toEqual(rows(5))
    expect(fetched).toHaveLength(6)
    expect(result.pagination.hasMore).toBe(true)
    expect(decodeCursor(result.pagination.nextCursor as string)).toEqual([5])
  })

  it('should sign the next cursor when given a secret', () => {
    const secret = randomBytes(32)
    const result = cursorPage(rows(3), { limit: 2, secret }, (row) => [row.id])
    expect(decodeCursor(result.pagination.nextCursor as string, { secret, types: ['integer'] })).toEqual([2])
  })

  it('should serialise the envelopes through their response schemas', async () => {
    const User = Type.Object({ id: Type.Integer(), name: Type.String() })
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    app.get(
      '/users',
      { schema: { querystring: OffsetPaginationQuery, response: { 200: Paginated(User) } } },
      async (request) => {
        const all = [
          { id: 1, name: 'a', passwordHash: 'secret' },
          { id: 2, name: 'b', passwordHash: 'secret' },
        ]
        return paginate(all.slice(0, request.query.limit), all.length, request.query)
      },
    )
    app.get('/events', { schema: { response: { 200: CursorPaginated(User) } } }, async () =>
      cursorPage(
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ],
        { limit: 1 },
        (row) => [row.id],
      ),
    )
    try {
      const users = await app.inject('/users?limit=1')
      expect(users.json()).toEqual({
        data: [{ id: 1, name: 'a' }],
        pagination: { page: 1, limit: 1, total: 2, totalPages: 2, hasNext: true, hasPrev: false },
      })
      const events = await app.inject('/events')
      expect(events.json().pagination).toEqual({ limit: 1, nextCursor: expect.any(String), hasMore: true })
    } finally {
      await app.close()
    }
  })
})
