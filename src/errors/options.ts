import type { FastifyRequest } from 'fastify'
import { describeValue, KeelConfigError } from '../internal/config-error.js'
import type { ProblemDocument } from './problem.js'

/**
 * Options of `keelErrors` and `createErrorHandler`.
 * @see docs/errors.md
 */
export interface KeelErrorsOptions {
  /**
   * Show every error's message in `detail`. Off, 5xx errors and errors of unknown origin (a plain `Error`,
   * an HTTP client's error) carry the status title only; stacks are never sent. Turn on in development only.
   * @default false
   */
  exposeInternalErrors?: boolean
  /**
   * Base URI of your problem types. When set, `type` is `${typeBaseUri}/${code in kebab case}`, e.g.
   * `https://errors.example.com/user-not-found`; a trailing slash is ignored.
   * @default undefined (`type` is `about:blank`)
   */
  typeBaseUri?: string
  /**
   * Last word on every problem document before it is sent: return the document to send (add your own
   * members, rename, translate). Exceptions it throws are logged and the untransformed document is sent.
   * @default undefined
   */
  transform?: (problem: ProblemDocument, error: unknown, request: FastifyRequest) => ProblemDocument
}

/** Options after validation. */
export interface ResolvedErrorsOptions {
  readonly exposeInternalErrors: boolean
  readonly typeBaseUri: string | undefined
  readonly transform: KeelErrorsOptions['transform'] | undefined
}

const KNOWN = new Set(['exposeInternalErrors', 'typeBaseUri', 'transform'])

/** Validates options once, at register time. */
export function resolveErrorsOptions(opts: unknown): ResolvedErrorsOptions {
  if (opts === undefined || opts === null) opts = {}
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new KeelConfigError(
      'KEEL_ERR_ERRORS_INVALID_OPTIONS',
      `keelErrors options must be an object, got ${describeValue(opts)}`,
    )
  }
  const o = opts as Record<string, unknown>
  for (const key of Object.keys(o)) {
    // Fastify adds its own register options (prefix, logLevel…) to the plugin options object.
    if (!KNOWN.has(key) && !FASTIFY_REGISTER_OPTIONS.has(key)) {
      throw new KeelConfigError(
        'KEEL_ERR_ERRORS_INVALID_OPTIONS',
        `keelErrors: unknown option "${key}"; known options are ${[...KNOWN].join(', ')}`,
      )
    }
  }
  const { exposeInternalErrors = false, typeBaseUri, transform } = o
  if (typeof exposeInternalErrors !== 'boolean') {
    throw new KeelConfigError(
      'KEEL_ERR_ERRORS_INVALID_OPTIONS',
      `keelErrors option "exposeInternalErrors" must be a boolean, got ${describeValue(exposeInternalErrors)}`,
    )
  }
  if (transform !== undefined && typeof transform !== 'function') {
    throw new KeelConfigError(
      'KEEL_ERR_ERRORS_INVALID_OPTIONS',
      `keelErrors option "transform" must be a function, got ${describeValue(transform)}`,
    )
  }
  return Object.freeze({
    exposeInternalErrors,
    typeBaseUri: typeBaseUri === undefined ? undefined : resolveTypeBaseUri(typeBaseUri),
    transform: transform as KeelErrorsOptions['transform'] | undefined,
  })
}

const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

function resolveTypeBaseUri(value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) {
    try {
      new URL(value)
      return value.replace(/\/+$/, '')
    } catch {
      // fall through to the error below
    }
  }
  throw new KeelConfigError(
    'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI',
    `keelErrors option "typeBaseUri" must be an absolute URI such as "https://errors.example.com", got ${describeValue(value)}`,
  )
}
