import { randomUUID } from 'node:crypto'
import { optionsReader } from '../internal/options.js'
import { isSafeRequestId } from '../internal/request-id.js'

export { isSafeRequestId }

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
/** The default `validate`: 1..128 characters of `[A-Za-z0-9._:-]`. */
export function isValidRequestId(id: string): boolean {
  return DEFAULT_ID.test(id)
}

const KNOWN = ['header', 'trustIncoming', 'generate', 'validate']
/** The validators and error constructor of this plugin. */
export const read = optionsReader('request-id', 'KEEL_ERR_REQUEST_ID_INVALID_OPTION')

/** Validates options once, at register time. */
export function resolveRequestIdOptions(opts: unknown): ResolvedRequestIdOptions {
  const o = read.root(opts, KNOWN)
  const header = read.string('header', o.header, 'x-request-id', {
    pattern: HEADER_NAME,
    code: 'KEEL_ERR_REQUEST_ID_INVALID_HEADER',
    fix: 'use an HTTP header name (a token) such as "x-request-id" or "x-correlation-id"',
  })
  const trustIncoming = read.boolean('trustIncoming', o.trustIncoming, true)
  const generate = read.func<() => unknown>('generate', o.generate) ?? randomUUID
  const validate = read.func<(id: string) => boolean>('validate', o.validate) ?? isValidRequestId
  const sample: unknown = generate()
  if (!isSafeRequestId(sample)) {
    throw read.error(
      'generate',
      'must return 1..1024 visible ASCII characters',
      sample,
      'return a string that is safe in a header and a log line, e.g. crypto.randomUUID()',
      { code: 'KEEL_ERR_REQUEST_ID_INVALID_GENERATOR' },
    )
  }
  return Object.freeze({
    header: header.toLowerCase(),
    trustIncoming,
    generate: generate as () => string,
    validate,
  })
}
