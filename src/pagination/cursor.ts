import { createHmac, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../errors/http-error.js'
import { optionsReader } from '../internal/options.js'

/** One value of a cursor: what a keyset needs (ids, timestamps as ISO strings, sort keys). */
export type CursorValue = string | number | boolean | null

/** The values a cursor carries, in keyset order, e.g. `[createdAt, id]`. */
export type CursorValues = readonly CursorValue[]

/**
 * A key that signs cursors with HMAC-SHA256: at least 32 bytes. An array rotates keys: the first signs,
 * every one is accepted when decoding.
 */
export type CursorSecret = string | Uint8Array | readonly (string | Uint8Array)[]

/** The JSON type one cursor value must have, for {@link DecodeCursorOptions.types}. */
export type CursorValueType = 'string' | 'number' | 'integer' | 'boolean' | 'null'

interface CursorTypeMap {
  string: string
  number: number
  integer: number
  boolean: boolean
  null: null
}

/** The decoded tuple for a list of {@link CursorValueType}s: `['string', 'integer']` → `[string, number]`. */
export type CursorValuesOf<T extends readonly CursorValueType[]> = { -readonly [K in keyof T]: CursorTypeMap[T[K]] }

/** Options of {@link encodeCursor}. */
export interface EncodeCursorOptions {
  /** Signs the cursor (HMAC-SHA256, 128-bit tag) so clients cannot forge one. @default undefined (unsigned) */
  secret?: CursorSecret | undefined
  /** The longest cursor to produce; longer throws a `RangeError`. Match `cursorQuery`'s `maxCursorLength`. @default 512 */
  maxLength?: number | undefined
}

/** Options of {@link decodeCursor}. */
export interface DecodeCursorOptions<T extends readonly CursorValueType[] = readonly CursorValueType[]> {
  /** The secret(s) the cursor must be signed with; unsigned cursors are then refused. @default undefined */
  secret?: CursorSecret | undefined
  /** The exact value types expected, e.g. `['string', 'integer']`; anything else is `INVALID_CURSOR`. @default undefined (any primitives) */
  types?: T | undefined
  /** The longest cursor accepted. @default 512 */
  maxLength?: number | undefined
}

/** The default (and `cursorQuery`'s) longest cursor, in characters. */
export const DEFAULT_MAX_CURSOR_LENGTH = 512
const MIN_SECRET_BYTES = 32
const TAG_BYTES = 16
// base64url of 16 bytes, unpadded. Checked as a pattern, not a length: `.length` counts UTF-16 units, so a
// tag with a multibyte character would pass a length check and then throw in `timingSafeEqual` (a 500).
const TAG_PATTERN = /^[A-Za-z0-9_-]{22}$/
const VERSION_PREFIX = '[1,'

function invalidCursor(): HttpError {
  return new HttpError(400, 'The cursor is invalid', { code: 'INVALID_CURSOR' })
}

const read = optionsReader('pagination', 'KEEL_ERR_PAGINATION_INVALID_SECRET')
const SECRET_FIX = 'use e.g. randomBytes(32).toString("base64url"), kept in your secret store'

function checkSecretPart(secret: unknown, path: string): void {
  const bytes =
    typeof secret === 'string' ? Buffer.byteLength(secret) : secret instanceof Uint8Array ? secret.byteLength : -1
  if (bytes < MIN_SECRET_BYTES) {
    const problem = `must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`
    throw read.error(path, problem, secret, SECRET_FIX, { sensitive: true })
  }
}

/** Throws `KEEL_ERR_PAGINATION_INVALID_SECRET` unless `secret` is a usable {@link CursorSecret}. */
export function assertCursorSecret(secret: unknown, path = 'secret'): asserts secret is CursorSecret {
  if (Array.isArray(secret)) {
    if (secret.length === 0) throw read.error(path, 'must not be an empty array', secret, SECRET_FIX)
    for (const [i, part] of secret.entries()) checkSecretPart(part, `${path}[${i}]`)
    return
  }
  checkSecretPart(secret, path)
}

function tag(secret: string | Uint8Array, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, TAG_BYTES).toString('base64url')
}

function isCursorValue(value: unknown): value is CursorValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    default:
      return value === null
  }
}

function hasType(value: CursorValue, type: CursorValueType): boolean {
  switch (type) {
    case 'integer':
      return Number.isSafeInteger(value)
    case 'null':
      return value === null
    default:
      return typeof value === type
  }
}

/**
 * Encodes keyset values as an opaque cursor: base64url of a versioned compact JSON array, plus an
 * HMAC-SHA256 tag (`<payload>.<tag>`) when a secret is given.
 *
 * @param values - the sort key values of the last row, e.g. `[row.createdAt.toISOString(), row.id]`;
 *   strings, finite numbers, booleans or null, at least one.
 * @param options - `secret` (signs; the first of an array), `maxLength` (default 512).
 * @throws TypeError for values that are not a non-empty array of such primitives; RangeError when the
 *   cursor would exceed `maxLength`; `KeelConfigError` for a secret under 32 bytes.
 * @example
 * const next = encodeCursor([last.createdAt.toISOString(), last.id], { secret: process.env.CURSOR_SECRET })
 * @see docs/pagination.md
 */
export function encodeCursor(values: CursorValues, options?: EncodeCursorOptions): string {
  if (!Array.isArray(values) || values.length === 0 || !values.every(isCursorValue)) {
    throw new TypeError('encodeCursor expects a non-empty array of strings, finite numbers, booleans or null')
  }
  const payload = Buffer.from(VERSION_PREFIX + JSON.stringify(values).slice(1)).toString('base64url')
  let cursor = payload
  const secret = options?.secret
  if (secret !== undefined) {
    assertCursorSecret(secret)
    cursor = `${payload}.${tag(Array.isArray(secret) ? secret[0] : (secret as string | Uint8Array), payload)}`
  }
  const maxLength = options?.maxLength ?? DEFAULT_MAX_CURSOR_LENGTH
  if (cursor.length > maxLength) {
    throw new RangeError(`The cursor has ${cursor.length} characters, over maxLength ${maxLength}: use smaller keys`)
  }
  return cursor
}

function verifyTag(secret: CursorSecret, payload: string, given: string): boolean {
  if (!TAG_PATTERN.test(given)) return false
  const givenBytes = Buffer.from(given)
  let ok = false
  // Every key is tried (no early exit), so timing does not reveal which key matched.
  for (const key of Array.isArray(secret) ? (secret as readonly (string | Uint8Array)[]) : [secret as string]) {
    if (timingSafeEqual(Buffer.from(tag(key, payload)), givenBytes)) ok = true
  }
  return ok
}

/**
 * Decodes a cursor made by {@link encodeCursor}. Anything else (garbage, truncated, re-encoded by hand,
 * too long, wrong shape or types, unsigned or tampered when a secret is given) throws an `HttpError`
 * 400 with code `INVALID_CURSOR`, never a 500.
 *
 * @param cursor - the `cursor` query parameter.
 * @param options - `secret` (required signature), `types` (exact value types, also types the result),
 *   `maxLength` (default 512).
 * @example
 * const [createdAt, id] = decodeCursor(request.query.cursor, { secret, types: ['string', 'integer'] })
 * @see docs/pagination.md
 */
export function decodeCursor<const T extends readonly CursorValueType[]>(
  cursor: string,
  options: DecodeCursorOptions<T> & { types: T },
): CursorValuesOf<T>
export function decodeCursor(cursor: string, options?: DecodeCursorOptions): CursorValue[]
export function decodeCursor(cursor: string, options?: DecodeCursorOptions): CursorValue[] {
  if (typeof cursor !== 'string' || cursor.length === 0) throw invalidCursor()
  if (cursor.length > (options?.maxLength ?? DEFAULT_MAX_CURSOR_LENGTH)) throw invalidCursor()
  const dot = cursor.indexOf('.')
  const payload = dot === -1 ? cursor : cursor.slice(0, dot)
  const secret = options?.secret
  if (secret === undefined) {
    if (dot !== -1) throw invalidCursor()
  } else {
    assertCursorSecret(secret)
    // Authenticate before parsing: untrusted bytes never reach JSON.parse.
    if (dot === -1 || !verifyTag(secret, payload, cursor.slice(dot + 1))) throw invalidCursor()
  }
  const text = Buffer.from(payload, 'base64url').toString('utf8')
  if (!text.startsWith(VERSION_PREFIX)) throw invalidCursor()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalidCursor()
  }
  if (!Array.isArray(parsed) || parsed.length < 2) throw invalidCursor()
  const values: CursorValue[] = parsed.slice(1)
  if (!values.every(isCursorValue)) throw invalidCursor()
  // Only the exact bytes encodeCursor makes are accepted: catches lenient base64 (stray or padding
  // characters, non-zero trailing bits), invalid UTF-8 and JSON edited or re-serialised by hand.
  if (Buffer.from(VERSION_PREFIX + JSON.stringify(values).slice(1)).toString('base64url') !== payload) {
    throw invalidCursor()
  }
  const types = options?.types
  if (types !== undefined) {
    if (values.length !== types.length) throw invalidCursor()
    for (let i = 0; i < types.length; i++) {
      if (!hasType(values[i] as CursorValue, types[i] as CursorValueType)) throw invalidCursor()
    }
  }
  return values
}
