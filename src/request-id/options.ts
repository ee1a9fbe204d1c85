import { randomUUID } from 'node:crypto'
import { describeValue, KeelConfigError } from '../internal/config-error.js'

/**
 * Options of `keelRequestId`.
 * @see docs/request-id.md
 */
export interface KeelRequestIdOptions {
  /**
   * Request header read for an incoming id, and response header the id is echoed in (case-insensitive).
   * @default 'x-request-id'
   */
  header?: string
  /**
   * Reuse a valid incoming id (e.g. from your gateway). Set `false` when clients reach the app directly
   * and you want only ids you generated in your logs.
   * @default true
   */
  trustIncoming?: boolean
  /**
   * Makes a new id. It must return 1..1024 visible ASCII characters: checked at boot (a bad first value fails
   * the boot), then on every call, where a bad value or a throw falls back to `crypto.randomUUID()`.
   * @default crypto.randomUUID
   */
  generate?: () => string
  /**
   * Decides whether an incoming id is reused. Invalid ids are replaced by a generated one and never
   * written to logs or headers. A `validate` that throws counts as refusing the id, and an id it accepts must
   * still be 1..1024 visible ASCII characters.
   * @default 1..128 characters of `[A-Za-z0-9._:-]`
   */
  validate?: (id: string) => boolean
}

/** Options after validation. */
export interface ResolvedRequestIdOptions {
  readonly header: string
  readonly trustIncoming: boolean
  readonly generate: () => string
  readonly validate: (id: string) => boolean
}

const DEFAULT_ID = /^[A-Za-z0-9._:-]{1,128}$/
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const SAFE_ID = /^[\x21-\x7e]{1,1024}$/

/** Whether an id is safe to write to a header and a log line: 1..1024 visible ASCII characters. */
export function isSafeRequestId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id)
}

/** The default `validate`: 1..128 characters of `[A-Za-z0-9._:-]`. */
export function isValidRequestId(id: string): boolean {
  return DEFAULT_ID.test(id)
}

const KNOWN = new Set(['header', 'trustIncoming', 'generate', 'validate'])
// Fastify adds its own register options to the plugin options object.
const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

function invalid(message: string): KeelConfigError {
  return new KeelConfigError('KEEL_ERR_REQUEST_ID_INVALID_OPTIONS', message)
}

/** Validates options once, at register time. */
export function resolveRequestIdOptions(opts: unknown): ResolvedRequestIdOptions {
  if (opts === undefined || opts === null) opts = {}
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw invalid(`keelRequestId options must be an object, got ${describeValue(opts)}`)
  }
  const o = opts as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key) && !FASTIFY_REGISTER_OPTIONS.has(key)) {
      throw invalid(`keelRequestId: unknown option "${key}"; known options are ${[...KNOWN].join(', ')}`)
    }
  }
  const { header = 'x-request-id', trustIncoming = true, generate = randomUUID, validate = isValidRequestId } = o
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    throw new KeelConfigError(
      'KEEL_ERR_REQUEST_ID_INVALID_HEADER',
      `keelRequestId option "header" must be an HTTP header name such as "x-request-id", got ${describeValue(header)}`,
    )
  }
  if (typeof trustIncoming !== 'boolean') {
    throw invalid(`keelRequestId option "trustIncoming" must be a boolean, got ${describeValue(trustIncoming)}`)
  }
  if (typeof generate !== 'function') {
    throw invalid(`keelRequestId option "generate" must be a function, got ${describeValue(generate)}`)
  }
  if (typeof validate !== 'function') {
    throw invalid(`keelRequestId option "validate" must be a function, got ${describeValue(validate)}`)
  }
  const sample: unknown = generate()
  if (!isSafeRequestId(sample)) {
    throw new KeelConfigError(
      'KEEL_ERR_REQUEST_ID_INVALID_GENERATOR',
      `keelRequestId option "generate" must return 1..1024 visible ASCII characters, got ${describeValue(sample)}`,
    )
  }
  return Object.freeze({
    header: header.toLowerCase(),
    trustIncoming,
    generate: generate as () => string,
    validate: validate as (id: string) => boolean,
  })
}
