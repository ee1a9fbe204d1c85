import { STATUS_CODES } from 'node:http'

/** Brand shared by every copy of this module (ESM and CJS builds), so `isHttpError` survives dual loading. */
const kHttpError = Symbol.for('fastify-keel.HttpError')

/** A machine code: SCREAMING_SNAKE, at most {@link MAX_CODE_LENGTH} characters. */
const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/
/** Longest accepted `code`: codes are identifiers for clients, not messages. */
export const MAX_CODE_LENGTH = 64

/** Whether a value may be the `code` of a problem document. */
export function isValidCode(code: unknown): code is string {
  return typeof code === 'string' && code.length <= MAX_CODE_LENGTH && CODE_PATTERN.test(code)
}

/** Extra data for an {@link HttpError}. */
export interface HttpErrorOptions {
  /**
   * Stable SCREAMING_SNAKE machine code (`/^[A-Z][A-Z0-9_]*$/`, at most 64 characters; anything else throws a
   * `TypeError`). @default derived from the status title, e.g. 404 → `NOT_FOUND`
   */
  code?: string
  /** Extension members added at the top level of the problem document (never over standard members). */
  extensions?: Record<string, unknown>
  /** Response headers sent with the error, e.g. `{ 'www-authenticate': 'Bearer' }`. */
  headers?: Record<string, string>
  /** Whether `detail` may be shown to the client. @default status < 500 */
  expose?: boolean
  /**
   * A deliberate, expected failure (load shedding, a dependency known to be down): logged at `warn` in one line,
   * without a stack. Decided by the code that raises the error. @default status === 503
   */
  operational?: boolean
  /**
   * The problem type URI, for a registered type such as
   * `https://iana.org/assignments/http-problem-types#quota-exceeded`; it wins over `typeBaseUri`.
   * @default `about:blank`, or `typeBaseUri` plus the code
   */
  type?: string
  /** The underlying error, kept for logs and never sent to the client. */
  cause?: unknown
}

/** The reason phrase of a status, e.g. 404 → `Not Found`. */
export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** 404 → `NOT_FOUND`, 418 → `IM_A_TEAPOT`: the default machine code of a status. */
export function defaultCode(status: number): string {
  return statusTitle(status)
    .replace(/[^A-Za-z0-9 ]+/g, '')
    .trim()
    .replace(/\s+/g, '_')
    .toUpperCase()
}

/**
 * An error that carries an HTTP status and a stable machine code; the errors plugin renders it as an
 * RFC 9457 problem document.
 *
 * @example
 * throw new HttpError(422, 'Cannot delete the last admin', { code: 'LAST_ADMIN', extensions: { userId } })
 * @see docs/errors.md
 */
export class HttpError extends Error {
  /** HTTP status, 400..599. */
  readonly statusCode: number
  /** Stable SCREAMING_SNAKE machine code. */
  readonly code: string
  /** Top-level extension members of the problem document. */
  readonly extensions: Readonly<Record<string, unknown>>
  /** Headers to send with the error response. */
  readonly headers: Readonly<Record<string, string>>
  /** Whether `message` may be shown to clients. */
  readonly expose: boolean
  /** Whether this is an expected failure, logged at `warn` without a stack. */
  readonly operational: boolean
  /** The problem type URI of the error, when it has its own. */
  readonly type: string | undefined

  constructor(statusCode: number, detail?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) {
      throw new TypeError(`HttpError status must be an integer from 400 to 599, got ${String(statusCode)}`)
    }
    const code = options.code ?? defaultCode(statusCode)
    if (!isValidCode(code)) {
      throw new TypeError(
        `HttpError code must be SCREAMING_SNAKE (/^[A-Z][A-Z0-9_]*$/) of at most ${MAX_CODE_LENGTH} characters, got ${JSON.stringify(String(code).slice(0, MAX_CODE_LENGTH + 1))}`,
      )
    }
    super(detail ?? statusTitle(statusCode), options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HttpError'
    this.statusCode = statusCode
    this.code = code
    this.extensions = options.extensions ?? {}
    this.headers = options.headers ?? {}
    this.expose = options.expose ?? statusCode < 500
    this.operational = options.operational ?? statusCode === 503
    this.type = options.type
  }

  /** HTTP status; alias of `statusCode` (RFC 9457 calls it `status`). */
  get status(): number {
    return this.statusCode
  }

  get [kHttpError](): true {
    return true
  }

  /**
   * `x instanceof HttpError` recognises HttpErrors from the other module format (ESM/CJS) too. A subclass
   * (`x instanceof MyError`) uses the ordinary prototype check, since the brand says nothing about it.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof`, maybe a subclass
    return this === HttpError ? isHttpError(value) : Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

/**
 * True for any {@link HttpError}, also one created by the other build (ESM vs CJS) of fastify-keel.
 * @see docs/errors.md
 */
export function isHttpError(value: unknown): value is HttpError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kHttpError] === true
}
