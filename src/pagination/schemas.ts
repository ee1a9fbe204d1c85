import {
  type TArray,
  type TBoolean,
  type TInteger,
  type TObject,
  type TOptional,
  type TSchema,
  type TString,
  type TUnsafe,
  Type,
} from '@sinclair/typebox'
import { DEFAULT_MAX_CURSOR_LENGTH } from './cursor.js'
import { readFactoryLimits } from './options.js'

/** Options of {@link offsetQuery}. */
export interface OffsetQueryOptions {
  /** `limit` when the client sends none. @default 20 */
  defaultLimit?: number
  /** The largest `limit` accepted; more is a 400. @default 100 */
  maxLimit?: number
  /** The largest `page` accepted; deep `OFFSET`s are slow and huge ones overflow, so more is a 400. @default 10000 */
  maxPage?: number
}

/** Options of {@link cursorQuery}. */
export interface CursorQueryOptions {
  /** `limit` when the client sends none. @default 20 */
  defaultLimit?: number
  /** The largest `limit` accepted; more is a 400. @default 100 */
  maxLimit?: number
  /** The longest `cursor` accepted by the schema; longer is a 400. @default 512 */
  maxCursorLength?: number
}

/** The schema {@link offsetQuery} returns: `{ page: number, limit: number }` once defaults are applied. */
export type OffsetQuerySchema = TObject<{ page: TInteger; limit: TInteger }>
/** The schema {@link cursorQuery} returns: `{ cursor?: string, limit: number }` once defaults are applied. */
export type CursorQuerySchema = TObject<{ cursor: TOptional<TString>; limit: TInteger }>

/** The `pagination` member of {@link Paginated}; registered by `keelPagination` as `KeelPaginationMeta`. */
export type PaginationMetaSchema = TObject<{
  page: TInteger
  limit: TInteger
  total: TInteger
  totalPages: TInteger
  hasNext: TBoolean
  hasPrev: TBoolean
}>
/** The `pagination` member of {@link CursorPaginated}; registered by `keelPagination` as `KeelCursorPaginationMeta`. */
export type CursorPaginationMetaSchema = TObject<{
  limit: TInteger
  nextCursor: TUnsafe<string | null>
  hasMore: TBoolean
}>

/** `{ data: Item[], pagination: PaginationMeta }`, the schema {@link Paginated} returns. */
export type PaginatedSchema<T extends TSchema> = TObject<{ data: TArray<T>; pagination: PaginationMetaSchema }>
/** `{ data: Item[], pagination: CursorPaginationMeta }`, the schema {@link CursorPaginated} returns. */
export type CursorPaginatedSchema<T extends TSchema> = TObject<{
  data: TArray<T>
  pagination: CursorPaginationMetaSchema
}>

// Ajv coerces the strings "Infinity" and "1e999" to Infinity and then skips `minimum`/`maximum`, which
// only check finite numbers. A nested `type: 'integer'` sees the coerced value and refuses it.
function finiteInteger(options: { minimum: number; maximum: number; default: number; description: string }) {
  return Type.Integer({ ...options, allOf: [{ type: 'integer' }] })
}

function limitSchema(defaultLimit: number, maxLimit: number): TInteger {
  return finiteInteger({
    minimum: 1,
    maximum: maxLimit,
    default: defaultLimit,
    description: `Items per page, 1 to ${maxLimit}`,
  })
}

/**
 * The query schema of an offset-paginated list: `page` (integer from 1, default 1) and `limit` (integer
 * 1..`maxLimit`, default `defaultLimit`). Query strings are coerced by Fastify's Ajv (`?limit=20` → 20);
 * `limit=0`, `limit=101`, `limit=abc`, `limit=`, `page=-1`, `page=1.5` are a 400. Compose it with
 * `Type.Composite([offsetQuery(), sortQuery([...]), Filters])`.
 *
 * @param options - `defaultLimit` (20), `maxLimit` (100), `maxPage` (10000).
 * @throws KeelConfigError `KEEL_ERR_PAGINATION_INVALID_LIMIT` for non-positive or inconsistent limits,
 *   `KEEL_ERR_PAGINATION_INVALID_OPTION` for an unknown option name.
 * @example
 * app.get('/users', { schema: { querystring: offsetQuery({ defaultLimit: 20, maxLimit: 100 }) } }, handler)
 * @see docs/pagination.md
 */
export function offsetQuery(options?: OffsetQueryOptions): OffsetQuerySchema {
  const { defaultLimit, maxLimit, bound: maxPage } = readFactoryLimits('offsetQuery', options, ['maxPage', 10_000])
  return Type.Object({
    page: finiteInteger({ minimum: 1, maximum: maxPage, default: 1, description: 'Page number, from 1' }),
    limit: limitSchema(defaultLimit, maxLimit),
  })
}

/**
 * The query schema of a cursor (keyset) paginated list: `cursor` (optional opaque string, 1..512
 * characters) and `limit` (integer 1..`maxLimit`, default `defaultLimit`). The cursor's content is checked
 * by {@link decodeCursor}.
 *
 * @param options - `defaultLimit` (20), `maxLimit` (100), `maxCursorLength` (512).
 * @throws KeelConfigError `KEEL_ERR_PAGINATION_INVALID_LIMIT` for non-positive or inconsistent limits,
 *   `KEEL_ERR_PAGINATION_INVALID_OPTION` for an unknown option name.
 * @example
 * app.get('/events', { schema: { querystring: cursorQuery({ maxLimit: 50 }) } }, handler)
 * @see docs/pagination.md
 */
export function cursorQuery(options?: CursorQueryOptions): CursorQuerySchema {
  const {
    defaultLimit,
    maxLimit,
    bound: maxCursorLength,
  } = readFactoryLimits('cursorQuery', options, ['maxCursorLength', DEFAULT_MAX_CURSOR_LENGTH])
  return Type.Object({
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: maxCursorLength,
        description: 'Opaque cursor from `pagination.nextCursor` of the previous page',
      }),
    ),
    limit: limitSchema(defaultLimit, maxLimit),
  })
}

/**
 * `offsetQuery()` with the defaults: `page` from 1 (default 1, at most 10000), `limit` 1..100 (default 20).
 * @see docs/pagination.md
 */
export const OffsetPaginationQuery: OffsetQuerySchema = offsetQuery()

/**
 * `cursorQuery()` with the defaults: optional `cursor` of at most 512 characters, `limit` 1..100 (default 20).
 * @see docs/pagination.md
 */
export const CursorPaginationQuery: CursorQuerySchema = cursorQuery()

/**
 * The `pagination` object of an offset page, `$id` `KeelPaginationMeta`. Envelopes embed it, so they
 * work without the plugin; `keelPagination` also registers it for `$ref` use and OpenAPI components.
 * @see docs/pagination.md
 */
export const PaginationMeta: PaginationMetaSchema = Type.Object(
  {
    page: Type.Integer({ minimum: 1 }),
    limit: Type.Integer({ minimum: 1 }),
    total: Type.Integer({ minimum: 0, description: 'Items in the whole result' }),
    totalPages: Type.Integer({ minimum: 0 }),
    hasNext: Type.Boolean(),
    hasPrev: Type.Boolean(),
  },
  { $id: 'KeelPaginationMeta', description: 'Position of an offset page in the whole result' },
)

/**
 * The `pagination` object of a cursor page, `$id` `KeelCursorPaginationMeta`.
 * @see docs/pagination.md
 */
export const CursorPaginationMeta: CursorPaginationMetaSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1 }),
    // A type array rather than anyOf: fast-json-stringify serialises it without trying branches, and
    // @fastify/swagger turns it into `nullable: true` for OpenAPI 3.0.
    nextCursor: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: 'Pass as `cursor` to get the next page; null on the last page',
    }),
    hasMore: Type.Boolean(),
  },
  { $id: 'KeelCursorPaginationMeta', description: 'Position of a cursor page' },
)

/**
 * The response schema of an offset-paginated list: `{ data: Item[], pagination: { page, limit, total,
 * totalPages, hasNext, hasPrev } }`. Build the value with {@link paginate}.
 *
 * @param item - the schema of one item.
 * @example
 * app.get('/users', { schema: { querystring: OffsetPaginationQuery, response: { 200: Paginated(User) } } }, handler)
 * @see docs/pagination.md
 */
export function Paginated<T extends TSchema>(item: T): PaginatedSchema<T> {
  return Type.Object({ data: Type.Array(item), pagination: PaginationMeta })
}

/**
 * The response schema of a cursor-paginated list: `{ data: Item[], pagination: { limit, nextCursor:
 * string | null, hasMore } }`. Build the value with {@link cursorPage}.
 *
 * @param item - the schema of one item.
 * @example
 * app.get('/events', { schema: { querystring: CursorPaginationQuery, response: { 200: CursorPaginated(Event) } } }, handler)
 * @see docs/pagination.md
 */
export function CursorPaginated<T extends TSchema>(item: T): CursorPaginatedSchema<T> {
  return Type.Object({ data: Type.Array(item), pagination: CursorPaginationMeta })
}
