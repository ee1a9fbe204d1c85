/**
 * An error about misusing fastify-keel (bad options, wrong registration order), thrown at boot.
 * Codes follow `KEEL_ERR_<FEATURE>_<PROBLEM>`; they are listed in each feature's docs page.
 */
export class KeelConfigError extends Error {
  readonly code: string

  constructor(code: `KEEL_ERR_${string}`, message: string) {
    super(message)
    this.name = 'KeelConfigError'
    this.code = code
  }
}

/** Renders a user-supplied option value for an error message without dumping large objects or secrets. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}
