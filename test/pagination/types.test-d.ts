import { type Static, Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import {
  CursorPaginated,
  type CursorPaginatedResult,
  CursorPaginationQuery,
  composeQuery,
  cursorPage,
  cursorQuery,
  decodeCursor,
  encodeCursor,
  linkHeader,
  OffsetPaginationQuery,
  offsetQuery,
  Paginated,
  type PaginatedResult,
  paginate,
  parseSort,
  sortQuery,
} from 'fastify-keel/pagination'
import { describe, expectTypeOf, it } from 'vitest'

const UserSchema = Type.Object({ id: Type.Integer(), name: Type.String() })
type User = Static<typeof UserSchema>
const UserSort = sortQuery(['name', 'email', 'createdAt'], { default: '-createdAt' })
const OptionalSort = sortQuery(['name', 'email'])

describe('pagination types', () => {
  it('should type page and limit as numbers through the TypeBox type provider', () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    app.get(
      '/users',
      { schema: { querystring: composeQuery([offsetQuery(), UserSort]), response: { 200: Paginated(UserSchema) } } },
      async (request) => {
        expectTypeOf(request.query.page).toEqualTypeOf<number>()
        expectTypeOf(request.query.limit).toEqualTypeOf<number>()
        expectTypeOf(request.query.sort).toEqualTypeOf<string>()
        return paginate<User>([], 0, request.query)
      },
    )
    app.get('/plain', { schema: { querystring: OffsetPaginationQuery } }, async (request) => {
      expectTypeOf(request.query).toEqualTypeOf<{ page: number; limit: number }>()
      return {}
    })
    app.get('/optional', { schema: { querystring: OptionalSort } }, async (request) => {
      expectTypeOf(request.query.sort).toEqualTypeOf<string | undefined>()
      return {}
    })
    app.get(
      '/events',
      { schema: { querystring: CursorPaginationQuery, response: { 200: CursorPaginated(UserSchema) } } },
      async (request) => {
        expectTypeOf(request.query.cursor).toEqualTypeOf<string | undefined>()
        expectTypeOf(request.query.limit).toEqualTypeOf<number>()
        return cursorPage<User>([], request.query, (row) => [row.id])
      },
    )
    app.get(
      '/wrong',
      { schema: { response: { 200: Paginated(UserSchema) } } },
      // @ts-expect-error the envelope's data must hold users
      async () => paginate([{ id: 'not a number' }], 1, { page: 1, limit: 1 }),
    )
  })

  it('should type a composed query as the union of its parts', () => {
    const Query = composeQuery([
      cursorQuery(),
      OptionalSort,
      Type.Object({ q: Type.Optional(Type.String()), tenant: Type.String() }),
    ])
    expectTypeOf<Static<typeof Query>>().toEqualTypeOf<{
      cursor?: string
      limit: number
      sort?: string
      q?: string
      tenant: string
    }>()
    // @ts-expect-error only object schemas compose
    composeQuery([Type.String()])
  })

  it('should infer the offset envelope shape', () => {
    type Page = Static<ReturnType<typeof Paginated<typeof UserSchema>>>
    expectTypeOf<Page>().toEqualTypeOf<{
      data: { id: number; name: string }[]
      pagination: { page: number; limit: number; total: number; totalPages: number; hasNext: boolean; hasPrev: boolean }
    }>()
    expectTypeOf<PaginatedResult<User>>().toExtend<Page>()
  })

  it('should infer the cursor envelope shape', () => {
    type Page = Static<ReturnType<typeof CursorPaginated<typeof UserSchema>>>
    expectTypeOf<Page>().toEqualTypeOf<{
      data: { id: number; name: string }[]
      pagination: { limit: number; nextCursor: string | null; hasMore: boolean }
    }>()
    expectTypeOf<CursorPaginatedResult<User>>().toExtend<Page>()
  })

  it('should type parseSort with the allowlist literal union', () => {
    expectTypeOf(parseSort('name', UserSort)).toEqualTypeOf<
      Array<{ field: 'name' | 'email' | 'createdAt'; direction: 'asc' | 'desc' }>
    >()
    expectTypeOf(parseSort(undefined, ['a', 'b'])).toEqualTypeOf<
      Array<{ field: 'a' | 'b'; direction: 'asc' | 'desc' }>
    >()
    const [first] = parseSort('name', UserSort)
    // @ts-expect-error password is not in the allowlist
    if (first?.field === 'password') throw new Error('unreachable')
    // @ts-expect-error a plain object carries no allowlist
    parseSort('name', {})
  })

  it('should require string field names in sortQuery', () => {
    sortQuery(['name'], { default: '-name' })
    // @ts-expect-error fields must be strings
    sortQuery([1, 2])
  })

  it('should type decoded cursor values from types', () => {
    expectTypeOf(decodeCursor('x', { types: ['string', 'integer'] })).toEqualTypeOf<[string, number]>()
    expectTypeOf(decodeCursor('x', { types: ['boolean', 'null', 'number'] })).toEqualTypeOf<[boolean, null, number]>()
    expectTypeOf(decodeCursor('x')).toEqualTypeOf<(string | number | boolean | null)[]>()
    // @ts-expect-error Dates must be converted (toISOString) before encoding
    encodeCursor([new Date()])
    // @ts-expect-error unknown value type
    decodeCursor('x', { types: ['date'] })
  })

  it('should type the decorator', () => {
    const app = Fastify()
    expectTypeOf(app.pagination.decodeCursor('x', ['integer'])).toEqualTypeOf<[number]>()
    expectTypeOf(app.pagination.encodeCursor([1, 'a'])).toEqualTypeOf<string>()
  })

  it('should accept offset and cursor Link inputs only', () => {
    expectTypeOf(linkHeader({ url: '/u', page: 1, limit: 10, total: 0 })).toEqualTypeOf<string>()
    expectTypeOf(linkHeader({ url: '/u', nextCursor: null })).toEqualTypeOf<string>()
    // @ts-expect-error an offset link needs the total
    linkHeader({ url: '/u', page: 1, limit: 10 })
  })
})
