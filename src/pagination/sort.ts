import { type TObject, type TOptional, type TString, Type } from '@sinclair/typebox'
import { HttpError } from '../errors/index.js'
import { read } from './options.js'

/** One term of a parsed `sort` parameter. */
export interface SortTerm<F extends string = string> {
  /** An allowlisted field name. */
  field: F
  /** `desc` when the term had a `-` prefix. */
  direction: 'asc' | 'desc'
}

/** Options of {@link sortQuery}. */
export interface SortQueryOptions<F extends string = string> {
  /** The sort applied when the client sends none, e.g. `'-createdAt'` or `'name,-id'`. @default undefined (no default, `sort` is optional) */
  default?: `${'' | '-'}${F}` | (string & {}) | undefined
}

const kSortFields: unique symbol = Symbol.for('fastify-keel.sortFields')

interface SortFieldInfo<F extends string> {
  readonly fields: ReadonlySet<F>
  readonly defaultTerms: readonly SortTerm<F>[]
}

/**
 * The schema {@link sortQuery} returns: an object with `sort` (a string, required when it has a default),
 * carrying its allowlist so {@link parseSort} returns the fields' literal union.
 */
export type SortQuerySchema<F extends string = string, HasDefault extends boolean = boolean> = TObject<{
  sort: HasDefault extends true ? TString : TOptional<TString>
}> &
  SortAllowlist<F>

/** Anything {@link parseSort} reads an allowlist from: a {@link sortQuery} schema (its `F` is the fields' union). */
export interface SortAllowlist<F extends string = string> {
  readonly [kSortFields]: SortFieldInfo<F>
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/
const MAX_FIELD_LENGTH = 64

const SORT = { code: 'KEEL_ERR_PAGINATION_INVALID_SORT' } as const
const FIELDS_FIX = 'list field names like "createdAt" or "user.name", each once'

function checkFields(fields: unknown): asserts fields is readonly string[] {
  if (!Array.isArray(fields) || fields.length === 0) {
    throw read.error('sortQuery.fields', 'must be a non-empty array of field names', fields, FIELDS_FIX, SORT)
  }
  const seen = new Set<string>()
  fields.forEach((field: unknown, i) => {
    if (typeof field !== 'string' || field.length > MAX_FIELD_LENGTH || !FIELD_NAME.test(field)) {
      throw read.error(`sortQuery.fields[${i}]`, 'is not a field name', field, FIELDS_FIX, SORT)
    }
    if (seen.has(field)) throw read.error(`sortQuery.fields[${i}]`, 'is listed twice', field, FIELDS_FIX, SORT)
    seen.add(field)
  })
}

/** Splits a sort value into terms; null when a term is empty, not allowlisted or repeated. */
function splitTerms<F extends string>(value: string, fields: ReadonlySet<F>): SortTerm<F>[] | null {
  const terms: SortTerm<F>[] = []
  let start = 0
  while (start <= value.length) {
    let end = value.indexOf(',', start)
    if (end === -1) end = value.length
    const desc = value.charCodeAt(start) === 45 // '-'
    const field = value.slice(desc ? start + 1 : start, end) as F
    if (!fields.has(field)) return null
    for (const term of terms) if (term.field === field) return null
    terms.push({ field, direction: desc ? 'desc' : 'asc' })
    start = end + 1
  }
  return terms
}

/**
 * The query schema of a sortable list: `{ sort?: string }` whose `sort` accepts `field` or `-field`
 * (descending), comma-separated, each field from the allowlist and at most once, enforced by the schema
 * itself (an anchored `pattern` and a `maxLength`), so `sort=password` or `sort=name;drop table` is a 400
 * before your handler runs. Compose it: `Type.Composite([offsetQuery(), sortQuery([...])])`, and read the
 * value with {@link parseSort}.
 *
 * @param fields - the allowlist, e.g. `['name', 'email', 'createdAt']` (names like `createdAt` or `user.name`).
 * @param options - `default` (the sort when the client sends none; makes `sort` always present).
 * @throws KeelConfigError `KEEL_ERR_PAGINATION_INVALID_SORT` for an empty, repeated or malformed field, or
 *   a default outside the allowlist.
 * @example
 * const UserSort = sortQuery(['name', 'email', 'createdAt'], { default: '-createdAt' })
 * app.get('/users', { schema: { querystring: Type.Composite([offsetQuery(), UserSort]) } }, async (request) => {
 *   const sort = parseSort(request.query.sort, UserSort) // [{ field: 'createdAt', direction: 'desc' }]
 * })
 * @see docs/pagination.md
 */
export function sortQuery<const F extends string>(
  fields: readonly F[],
  options: SortQueryOptions<F> & { default: string },
): SortQuerySchema<F, true>
export function sortQuery<const F extends string>(
  fields: readonly F[],
  options?: SortQueryOptions<F>,
): SortQuerySchema<F, false>
export function sortQuery<const F extends string>(
  fields: readonly F[],
  options?: SortQueryOptions<F>,
): SortQuerySchema<F, true> | SortQuerySchema<F, false> {
  checkFields(fields)
  const set = new Set<F>(fields)
  const alternatives = fields.map((field) => field.replace(/[.]/g, '\\.')).join('|')
  const term = `-?(?:${alternatives})`
  // The lookahead refuses a field named twice (`name,-name`): terms are matched whole, so `name` and
  // `nameFull` are different fields. Backtracking is bounded by maxLength.
  const pattern = `^(?!(?:[^,]*,)*-?(${alternatives}),(?:[^,]*,)*-?\\1(?:,|$))${term}(?:,${term})*$`
  // The longest valid value: every field once, each with '-', separated by commas.
  const maxLength = fields.reduce((sum, field) => sum + field.length + 2, -1)
  const description = `Comma-separated fields to sort by, \`-\` for descending: ${fields.join(', ')}`
  const defaultValue = options?.default
  let defaultTerms: SortTerm<F>[] = []
  if (defaultValue !== undefined) {
    const parsed = typeof defaultValue === 'string' ? splitTerms(defaultValue, set) : null
    if (parsed === null) {
      throw read.error(
        'sortQuery.default',
        'must be allowlisted fields, each at most once',
        defaultValue,
        'e.g. "-createdAt"',
        SORT,
      )
    }
    defaultTerms = parsed
  }
  const sort =
    defaultValue === undefined
      ? Type.Optional(Type.String({ pattern, maxLength, description }))
      : Type.String({ pattern, maxLength, description, default: defaultValue })
  const schema = Type.Object({ sort })
  // Non-enumerable: invisible to Ajv, JSON, OpenAPI and Type.Composite; read by parseSort.
  Object.defineProperty(schema, kSortFields, {
    value: Object.freeze({ fields: set, defaultTerms: Object.freeze(defaultTerms) }),
  })
  return schema as unknown as SortQuerySchema<F, false>
}

/**
 * Parses a `sort` value into terms typed with the allowlist's literal union. Pass the schema made by
 * {@link sortQuery} (then a missing value yields its default) or the allowlist itself. The value is
 * checked again, so a string that skipped schema validation cannot smuggle a field into your SQL: a
 * field outside the allowlist, an empty or a repeated term throws an `HttpError` 400 `INVALID_SORT`.
 *
 * @param value - `request.query.sort` (undefined → the schema's default terms, or `[]`).
 * @param allowed - the `sortQuery` schema, or the allowlist array.
 * @returns a new array of `{ field, direction }`, in the client's order.
 * @example
 * const UserSort = sortQuery(['name', 'email', 'createdAt'] , { default: '-createdAt' })
 * const sort = parseSort(request.query.sort, UserSort)
 * // Array<{ field: 'name' | 'email' | 'createdAt', direction: 'asc' | 'desc' }>
 * @see docs/pagination.md
 */
export function parseSort<const F extends string>(
  value: string | undefined,
  allowed: SortAllowlist<F> | readonly F[],
): SortTerm<F>[] {
  let fields: ReadonlySet<F>
  let defaultTerms: readonly SortTerm<F>[] = []
  if (Array.isArray(allowed)) {
    fields = new Set(allowed as readonly F[])
  } else {
    const info = (allowed as SortAllowlist<F>)[kSortFields]
    if (info === undefined) {
      throw read.error(
        'parseSort.allowed',
        'is not a sortQuery() schema or an array of field names',
        allowed,
        'pass the schema sortQuery() returned',
        SORT,
      )
    }
    fields = info.fields
    defaultTerms = info.defaultTerms
  }
  if (value === undefined) return defaultTerms.map((term) => ({ field: term.field, direction: term.direction }))
  const terms = typeof value === 'string' ? splitTerms(value, fields) : null
  if (terms === null) throw new HttpError(400, 'The sort parameter is invalid', { code: 'INVALID_SORT' })
  return terms
}
