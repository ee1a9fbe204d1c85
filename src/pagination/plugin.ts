import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import {
  type CursorValue,
  type CursorValues,
  type CursorValuesOf,
  type CursorValueType,
  decodeCursor,
  encodeCursor,
} from './cursor.js'
import { type CursorPaginatedResult, cursorPage } from './envelope.js'
import {
  type KeelPaginationOptions,
  type ResolvedPaginationOptions,
  read,
  resolvePaginationOptions,
} from './options.js'
import { CursorPaginationMeta, PaginationMeta } from './schemas.js'

/** `app.pagination`: the cursor helpers bound to the plugin's `cursorSecret` and `maxCursorLength`. */
export interface KeelPaginationDecorator {
  /** `encodeCursor(values, { secret: cursorSecret, maxLength: maxCursorLength })`. */
  encodeCursor(values: CursorValues): string
  /** `decodeCursor(cursor, { secret: cursorSecret, maxLength: maxCursorLength, types })`; throws `INVALID_CURSOR` (400). */
  decodeCursor<const T extends readonly CursorValueType[]>(cursor: string, types: T): CursorValuesOf<T>
  decodeCursor(cursor: string): CursorValue[]
  /** `cursorPage(items, { limit, secret: cursorSecret, maxLength: maxCursorLength }, getCursor)`. */
  cursorPage<T>(
    items: T[],
    query: { limit: number },
    getCursor: (lastItem: T) => CursorValues,
  ): CursorPaginatedResult<T>
}

function createDecorator({
  cursorSecret: secret,
  maxCursorLength: maxLength,
}: ResolvedPaginationOptions): KeelPaginationDecorator {
  const cursorOptions = Object.freeze({ secret, maxLength })
  return Object.freeze({
    encodeCursor: (values: CursorValues) => encodeCursor(values, cursorOptions),
    decodeCursor: (cursor: string, types?: readonly CursorValueType[]) =>
      types === undefined ? decodeCursor(cursor, cursorOptions) : decodeCursor(cursor, { secret, maxLength, types }),
    cursorPage: <T>(items: T[], query: { limit: number }, getCursor: (lastItem: T) => CursorValues) =>
      cursorPage(items, { limit: query.limit, secret, maxLength }, getCursor),
  }) as KeelPaginationDecorator
}

const plugin: FastifyPluginAsync<KeelPaginationOptions> = async (app, opts) => {
  const config = resolvePaginationOptions(opts)
  if (app.hasDecorator('pagination')) {
    throw read.misuse(
      'KEEL_ERR_PAGINATION_ALREADY_REGISTERED',
      'keelPagination is already registered here (app.pagination exists)',
      'register it once, at the root; a child context cannot change cursorSecret',
    )
  }
  // Shared schemas: `$ref: 'KeelPaginationMeta'` works in hand-written schemas, and OpenAPI lists them
  // as components. Skipped when a parent context already has them (e.g. added by hand).
  for (const schema of [PaginationMeta, CursorPaginationMeta]) {
    if (app.getSchema(schema.$id as string) === undefined) app.addSchema(schema)
  }
  app.decorate('pagination', createDecorator(config))
}

/**
 * Registers the pagination meta schemas (`KeelPaginationMeta`, `KeelCursorPaginationMeta`) as shared
 * schemas and decorates `app.pagination` with cursor helpers bound to `cursorSecret` and `maxCursorLength`. It adds no hooks:
 * the schemas and helpers of `fastify-keel/pagination` also work without it.
 *
 * @example
 * await app.register(keelPagination, { cursorSecret: process.env.CURSOR_SECRET })
 * // with cursorQuery({ maxCursorLength: 2048 }) on the routes:
 * await app.register(keelPagination, { cursorSecret: process.env.CURSOR_SECRET, maxCursorLength: 2048 })
 * @see docs/pagination.md
 */
export const keelPagination = fp(plugin, { name: 'fastify-keel-pagination', fastify: '5.x' })
export default keelPagination
