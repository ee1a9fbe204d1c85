import { optionsReader } from '../internal/options.js'
import { assertCursorSecret, type CursorSecret, DEFAULT_MAX_CURSOR_LENGTH } from './cursor.js'

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

/** The plugin's options after validation. */
export interface ResolvedPaginationOptions {
  readonly cursorSecret: CursorSecret | undefined
  readonly maxCursorLength: number
}

/** The validators and error constructor of the pagination plugin and its schema factories. */
export const read = optionsReader('pagination', 'KEEL_ERR_PAGINATION_INVALID_OPTION')

const LIMIT = { code: 'KEEL_ERR_PAGINATION_INVALID_LIMIT' } as const

/** Validates the plugin options once, at register time. */
export function resolvePaginationOptions(opts: unknown): ResolvedPaginationOptions {
  const o = read.root(opts, ['cursorSecret', 'maxCursorLength'])
  if (o.cursorSecret !== undefined) assertCursorSecret(o.cursorSecret, 'cursorSecret')
  return Object.freeze({
    cursorSecret: o.cursorSecret as CursorSecret | undefined,
    maxCursorLength: read.integer('maxCursorLength', o.maxCursorLength, DEFAULT_MAX_CURSOR_LENGTH, LIMIT),
  })
}

/** The validated options of a schema factory (`offsetQuery`, `cursorQuery`): its limits and one extra bound. */
export interface FactoryLimits {
  readonly defaultLimit: number
  readonly maxLimit: number
  /** `maxPage` (offsetQuery) or `maxCursorLength` (cursorQuery). */
  readonly bound: number
}

/**
 * Reads the options of a schema factory: `defaultLimit` and `maxLimit` (positive, `defaultLimit <= maxLimit`) and its
 * own positive integer `bound` (e.g. `maxPage`), refusing unknown names.
 */
export function readFactoryLimits(
  factory: string,
  options: unknown,
  bound: [name: string, fallback: number],
): FactoryLimits {
  const [boundName, boundFallback] = bound
  const o = read.object(factory, options, ['defaultLimit', 'maxLimit', boundName])
  const maxLimit = read.integer(`${factory}.maxLimit`, o.maxLimit, 100, LIMIT)
  const defaultLimit = read.integer(`${factory}.defaultLimit`, o.defaultLimit, Math.min(20, maxLimit), {
    ...LIMIT,
    max: maxLimit,
    fix: `pass an integer from 1 to maxLimit (${maxLimit})`,
  })
  return Object.freeze({
    defaultLimit,
    maxLimit,
    bound: read.integer(`${factory}.${boundName}`, o[boundName], boundFallback, LIMIT),
  })
}
