import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { describeValue, KeelConfigError } from '../internal/config-error.js'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import {
  assertCursorSecret,
  type CursorSecret,
  type CursorValue,
  type CursorValues,
  type CursorValuesOf,
  type CursorValueType,
  DEFAULT_MAX_CURSOR_LENGTH,
  decodeCursor,
  encodeCursor,
} from './cursor.js'
import { type CursorPaginatedResult, cursorPage } from './envelope.js'
import { CursorPaginationMeta, PaginationMeta, positiveInteger } from './schemas.js'

/** Options of {@link keelPagination}. */
export interface KeelPaginationOptions {
  /**
   * Signs the cursors of `app.pagination` (HMAC-SHA256), so clients cannot forge a position. At least
   * 32 bytes; an array rotates keys (the first signs, all are accepted). Keep it in your secret store.
   * @default undefined (cursors are opaque but unsigned)
   */
  cursorSecret?: CursorSecret | undefined
  /**
   * The longest cursor `app.pagination` produces and accepts. Set it to the `maxCursorLength` of your
   * `cursorQuery` schemas when you raise that above 512, or longer cursors are `INVALID_CURSOR`.
   * @default 512
   */
  maxCursorLength?: number | undefined
}

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

const KNOWN_OPTIONS = new Set(['cursorSecret', 'maxCursorLength'])

interface PaginationConfig {
  cursorSecret: CursorSecret | undefined
  maxCursorLength: number
}

function resolveOptions(opts: unknown): PaginationConfig {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new KeelConfigError(
      'KEEL_ERR_PAGINATION_INVALID_OPTION',
      `keelPagination options must be an object, got ${describeValue(opts)}`,
    )
  }
  for (const key of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new KeelConfigError(
        'KEEL_ERR_PAGINATION_INVALID_OPTION',
        `keelPagination has no option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`,
      )
    }
  }
  const { cursorSecret, maxCursorLength } = opts as KeelPaginationOptions
  if (cursorSecret !== undefined) assertCursorSecret(cursorSecret)
  return Object.freeze({
    cursorSecret,
    maxCursorLength: positiveInteger('maxCursorLength', maxCursorLength, DEFAULT_MAX_CURSOR_LENGTH),
  })
}

function createDecorator({
  cursorSecret: secret,
  maxCursorLength: maxLength,
}: PaginationConfig): KeelPaginationDecorator {
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
  const config = resolveOptions(opts)
  if (app.hasDecorator('pagination')) {
    throw new KeelConfigError(
      'KEEL_ERR_PAGINATION_ALREADY_REGISTERED',
      'keelPagination is already registered here (app.pagination exists); register it once, at the root',
    )
  }
  // Shared schemas: `$ref: 'KeelPaginationMeta'` works in hand-written schemas, and OpenAPI lists them
  // as components. Skipped when a parent context already has them (e.g. added by hand).
  for (const schema of [PaginationMeta, CursorPaginationMeta]) {
    if (app.getSchema(schema.$id) === undefined) app.addSchema(schema)
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
export const keelPagination = fp(plugin, { name: 'fastify-keel-pagination', fastify: FASTIFY_VERSIONS })
export default keelPagination
