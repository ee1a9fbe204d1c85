import { type TObject, type TObjectOptions, type TProperties, type TSchema, Type } from 'typebox'
import { describeValue, KeelConfigError } from '../internal/config-error.js'

/** What {@link composeQuery} merges: an object schema (`TObject` of any shape, or a `sortQuery` schema). */
export interface ObjectSchemaPart extends TSchema {
  readonly type: 'object'
  readonly properties: TProperties
}

/** The properties of every schema in `T`, merged (each name comes from exactly one schema). */
type MergedProperties<T extends readonly ObjectSchemaPart[]> = T extends readonly [
  infer Head extends ObjectSchemaPart,
  ...infer Rest extends readonly ObjectSchemaPart[],
]
  ? Head['properties'] & MergedProperties<Rest>
  : unknown

type Flatten<T> = { [K in keyof T]: T[K] }

/** The schema {@link composeQuery} returns: one object schema with the properties of every part. */
export type ComposedQuerySchema<T extends readonly ObjectSchemaPart[]> =
  Flatten<MergedProperties<T>> extends infer P extends TProperties ? TObject<P> : never

function schemaError(message: string): KeelConfigError {
  return new KeelConfigError('KEEL_ERR_PAGINATION_INVALID_SCHEMA', message)
}

function isObjectSchema(value: unknown): value is ObjectSchemaPart & { required?: unknown } {
  if (typeof value !== 'object' || value === null) return false
  const schema = value as { type?: unknown; properties?: unknown }
  return schema.type === 'object' && typeof schema.properties === 'object' && schema.properties !== null
}

/**
 * Merges object schemas into one: keel's query schemas with yours, e.g. `offsetQuery()`, a `sortQuery`
 * and your filters. TypeBox 1 has no `Type.Composite`; this is its replacement for flat query objects,
 * and it keeps each property schema as it is (optional or required, defaults, bounds), so Fastify's Ajv
 * and TypeBox's `Value.Convert` coerce and check each property as they would alone. A property name
 * defined by two parts is refused rather than silently overwritten.
 *
 * @param schemas - TypeBox object schemas (`Type.Object`, `offsetQuery()`, `cursorQuery()`, `sortQuery()`).
 * @param options - object options of the result, e.g. `{ additionalProperties: false }`.
 * @throws KeelConfigError `KEEL_ERR_PAGINATION_INVALID_SCHEMA` when a part is not an object schema or two
 *   parts define the same property.
 * @example
 * const UserSort = sortQuery(['name', 'createdAt'], { default: '-createdAt' })
 * const UsersQuery = composeQuery([offsetQuery(), UserSort, Type.Object({ q: Type.Optional(Type.String()) })])
 * app.get('/users', { schema: { querystring: UsersQuery } }, async (request) => request.query.page)
 * @see docs/pagination.md
 */
export function composeQuery<const T extends readonly ObjectSchemaPart[]>(
  schemas: T,
  options?: TObjectOptions,
): ComposedQuerySchema<T> {
  if (!Array.isArray(schemas) || schemas.length === 0) {
    throw schemaError(`composeQuery expects a non-empty array of object schemas, got ${describeValue(schemas)}`)
  }
  const properties: Record<string, TSchema> = {}
  const required: string[] = []
  for (const [index, schema] of schemas.entries()) {
    if (!isObjectSchema(schema)) {
      throw schemaError(`composeQuery schema [${index}] is not an object schema, got ${describeValue(schema)}`)
    }
    for (const [name, property] of Object.entries(schema.properties)) {
      if (Object.hasOwn(properties, name)) throw schemaError(`composeQuery: two schemas define "${name}"`)
      properties[name] = property
    }
    if (Array.isArray(schema.required)) required.push(...schema.required)
  }
  // Each part's own `required` list decides, so a hand-written JSON Schema part keeps its optional members.
  const composed: { required?: string[] } = Type.Object(properties, options)
  if (required.length > 0) composed.required = required
  else delete composed.required
  return composed as unknown as ComposedQuerySchema<T>
}
