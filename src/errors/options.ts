import type { FastifyRequest } from 'fastify'
import { optionsReader } from '../internal/options.js'
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
  /**
   * Validate request bodies as sent, without type coercion: `{"name": 123}` fails a string schema instead of
   * becoming `"123"`, and `["admin"]` fails a string schema instead of becoming `"admin"`. Querystring, params and
   * headers keep Fastify's coercion. Uses Fastify's own validator (`@fastify/ajv-compiler`) with your `ajv` options;
   * a validator compiler you set yourself (`setValidatorCompiler`) still wins where you set it.
   * @default false
   */
  strictBody?: boolean
}

/** Options after validation. */
export interface ResolvedErrorsOptions {
  readonly exposeInternalErrors: boolean
  readonly typeBaseUri: string | undefined
  readonly transform: KeelErrorsOptions['transform'] | undefined
  readonly strictBody: boolean
}

const KNOWN = ['exposeInternalErrors', 'typeBaseUri', 'transform', 'strictBody']
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/
/** The validators and error constructor of this plugin. */
export const read = optionsReader('errors', 'KEEL_ERR_ERRORS_INVALID_OPTION')

/** Validates options once, at register time. */
export function resolveErrorsOptions(opts: unknown): ResolvedErrorsOptions {
  const o = read.root(opts, KNOWN)
  const typeBaseUri = read.optionalString('typeBaseUri', o.typeBaseUri, {
    pattern: ABSOLUTE_URI,
    code: 'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI',
    fix: 'use an absolute URI such as "https://errors.example.com"',
  })
  if (typeBaseUri !== undefined && !URL.canParse(typeBaseUri)) {
    throw read.error('typeBaseUri', 'is not an absolute URI', typeBaseUri, 'use e.g. "https://errors.example.com"', {
      code: 'KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI',
    })
  }
  return Object.freeze({
    exposeInternalErrors: read.boolean('exposeInternalErrors', o.exposeInternalErrors, false),
    typeBaseUri: typeBaseUri?.replace(/\/+$/, ''),
    transform: read.func<NonNullable<KeelErrorsOptions['transform']>>('transform', o.transform),
    strictBody: read.boolean('strictBody', o.strictBody, false),
  })
}
