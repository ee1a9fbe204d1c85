import { configCodes, responseCodes } from '../internal/codes.js'

/**
 * Machine codes of the HTTP errors the pagination helpers throw, and of the `KeelConfigError`s thrown for
 * misusing them. Documented as tables in docs/pagination.md; a test keeps the tables and these registries in sync.
 */

/**
 * Codes of the `HttpError`s sent to clients (problem documents when `keelErrors` is registered).
 * Invalid `page`, `limit`, `cursor` length or `sort` values are rejected earlier by the route schema, as
 * `VALIDATION_FAILED` (errors plugin) or `FST_ERR_VALIDATION` (Fastify's default handler).
 * @see docs/pagination.md
 */
export const PAGINATION_ERROR_CODES = responseCodes({
  INVALID_CURSOR: {
    status: 400,
    when: '`decodeCursor` got a cursor that is garbage, truncated, re-encoded by hand, too long, of the wrong shape or types, or (with a secret) unsigned or tampered',
  },
  INVALID_SORT: {
    status: 400,
    when: '`parseSort` got a field outside the allowlist, an empty or a repeated term; only reachable when the value skipped the `sortQuery` schema',
  },
})

/** One of {@link PAGINATION_ERROR_CODES}. */
export type PaginationErrorCode = keyof typeof PAGINATION_ERROR_CODES

/**
 * Codes of the `KeelConfigError`s thrown when the pagination plugin or a schema factory is misused.
 * @see docs/pagination.md
 */
export const PAGINATION_CONFIG_CODES = configCodes({
  KEEL_ERR_PAGINATION_INVALID_OPTION: {
    when: 'the options of `keelPagination`, `offsetQuery` or `cursorQuery` are not an object or hold an unknown name',
    fix: 'pass only the documented options; the message suggests the name you meant',
  },
  KEEL_ERR_PAGINATION_ALREADY_REGISTERED: {
    when: '`keelPagination` is registered where `app.pagination` already exists (twice, or again in a child context)',
    fix: 'register it once, at the root; a child context cannot change `cursorSecret`',
  },
  KEEL_ERR_PAGINATION_INVALID_LIMIT: {
    when: '`defaultLimit`, `maxLimit`, `maxPage` or `maxCursorLength` (of a schema factory or `keelPagination`) is not a positive integer, or `defaultLimit` > `maxLimit`',
    fix: 'use integers such as `{ defaultLimit: 20, maxLimit: 100 }`',
  },
  KEEL_ERR_PAGINATION_INVALID_SORT: {
    when: '`sortQuery`/`parseSort` got an empty, repeated or malformed field name, or a `default` outside the allowlist',
    fix: 'list names like `createdAt` or `user.name` once each',
  },
  KEEL_ERR_PAGINATION_INVALID_SECRET: {
    when: 'a cursor secret is under 32 bytes, or not a string, `Uint8Array` or non-empty array of them',
    fix: 'use `randomBytes(32)` from your secret store',
  },
})

/** One of {@link PAGINATION_CONFIG_CODES}. */
export type PaginationConfigCode = keyof typeof PAGINATION_CONFIG_CODES
