import type { ValidationIssue, ValidationLocation } from './problem.js'

const LOCATIONS: ReadonlySet<string> = new Set(['body', 'querystring', 'params', 'headers'])

/** The shape of an Ajv error as far as we read it; other validators may leave fields out. */
interface ValidatorError {
  instancePath?: unknown
  keyword?: unknown
  message?: unknown
  params?: unknown
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** The property a `required`/`additionalProperties`/`dependentRequired` error is about, if any. */
function namedProperty(params: unknown): string | undefined {
  if (typeof params !== 'object' || params === null) return undefined
  const p = params as { missingProperty?: unknown; additionalProperty?: unknown; propertyName?: unknown }
  if (typeof p.missingProperty === 'string') return p.missingProperty
  if (typeof p.additionalProperty === 'string') return p.additionalProperty
  return undefined
}

/**
 * Turns Fastify's `error.validation` (Ajv errors) into one issue per failing field. The pointer is
 * Ajv's `instancePath` (already a JSON Pointer), plus the missing or extra property for `required`
 * and `additionalProperties`. With Ajv `allErrors`, the first error per field wins.
 */
export function toValidationIssues(validation: readonly unknown[], context: unknown): ValidationIssue[] {
  const location: ValidationLocation =
    typeof context === 'string' && LOCATIONS.has(context) ? (context as ValidationLocation) : 'body'
  const issues: ValidationIssue[] = []
  const seen = new Set<string>()
  for (const raw of validation) {
    if (typeof raw !== 'object' || raw === null) continue
    const error = raw as ValidatorError
    let pointer = typeof error.instancePath === 'string' ? error.instancePath : ''
    const property = namedProperty(error.params)
    if (property !== undefined) pointer = `${pointer}/${escapePointerToken(property)}`
    if (seen.has(pointer)) continue
    seen.add(pointer)
    const keyword = typeof error.keyword === 'string' ? error.keyword : 'invalid'
    issues.push({
      location,
      pointer,
      message: typeof error.message === 'string' ? error.message : `failed "${keyword}"`,
      keyword,
    })
  }
  return issues
}
