import { type CursorSecret, type CursorValues, encodeCursor } from './cursor.js'

/** The value of {@link PaginationMeta}. */
export interface PaginationMetaValue {
  page: number
  limit: number
  total: number
  totalPages: number
  hasNext: boolean
  hasPrev: boolean
}

/** The value of {@link CursorPaginationMeta}. */
export interface CursorPaginationMetaValue {
  limit: number
  nextCursor: string | null
  hasMore: boolean
}

/** What {@link paginate} returns; matches `Static<ReturnType<typeof Paginated<Item>>>`. */
export interface PaginatedResult<T> {
  data: T[]
  pagination: PaginationMetaValue
}

/** What {@link cursorPage} returns; matches `Static<ReturnType<typeof CursorPaginated<Item>>>`. */
export interface CursorPaginatedResult<T> {
  data: T[]
  pagination: CursorPaginationMetaValue
}

/** The page and size of an offset page, e.g. `request.query`. */
export interface OffsetPosition {
  page: number
  limit: number
}

/** The size of a cursor page and how to sign its cursor. */
export interface CursorPageOptions {
  /** The page size the client asked for (you fetched `limit + 1` rows). */
  limit: number
  /** Signs `nextCursor` (see `encodeCursor`). @default undefined (unsigned) */
  secret?: CursorSecret | undefined
  /** The longest cursor to produce. @default 512 */
  maxLength?: number | undefined
}

/** Throws a `TypeError` unless `value` is a safe integer >= `min`; shared by the envelope and `linkHeader`. */
export function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer >= ${min}, got ${String(value)}`)
  }
}

/**
 * Builds the offset envelope `{ data, pagination }` from one page of rows and the total count. Past the
 * end, `data` is whatever you fetched (normally empty) and `hasNext` is false; with `total` 0,
 * `totalPages` is 0. Fetch the rows with `LIMIT limit OFFSET (page - 1) * limit`.
 *
 * @param items - the rows of this page (kept as is, not copied).
 * @param total - the number of rows in the whole result (`COUNT(*)`).
 * @param position - `{ page, limit }`, usually `request.query`.
 * @throws TypeError when `page`/`limit` are not integers >= 1 or `total` not an integer >= 0.
 * @example
 * const { page, limit } = request.query
 * const [rows, total] = await Promise.all([repo.list({ offset: (page - 1) * limit, limit }), repo.count()])
 * return paginate(rows, total, request.query)
 * @see docs/pagination.md
 */
export function paginate<T>(items: T[], total: number, position: OffsetPosition): PaginatedResult<T> {
  const { page, limit } = position
  checkCount('page', page, 1)
  checkCount('limit', limit, 1)
  checkCount('total', total, 0)
  const totalPages = Math.ceil(total / limit)
  return {
    data: items,
    pagination: { page, limit, total, totalPages, hasNext: page < totalPages, hasPrev: page > 1 },
  }
}

/**
 * Builds the cursor envelope `{ data, pagination }` from up to `limit + 1` fetched rows: the extra row
 * only tells that more exist, and is dropped. `nextCursor` encodes `getCursor(lastRowOfThePage)` and is
 * null when there is no next page.
 *
 * @param items - the rows fetched with `LIMIT limit + 1` (not mutated).
 * @param options - `{ limit, secret?, maxLength? }`; `request.query` works for `limit`.
 * @param getCursor - the keyset values of a row, in sort order, ending with a unique tie-breaker.
 * @example
 * const rows = await db.query('… WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3', [..., limit + 1])
 * return cursorPage(rows, { limit, secret }, (row) => [row.created_at.toISOString(), row.id])
 * @see docs/pagination.md
 */
export function cursorPage<T>(
  items: T[],
  options: CursorPageOptions,
  getCursor: (lastItem: T) => CursorValues,
): CursorPaginatedResult<T> {
  const { limit } = options
  checkCount('limit', limit, 1)
  if (items.length <= limit) {
    return { data: items, pagination: { limit, nextCursor: null, hasMore: false } }
  }
  const data = items.slice(0, limit)
  const nextCursor = encodeCursor(getCursor(data[limit - 1] as T), options)
  return { data, pagination: { limit, nextCursor, hasMore: true } }
}
