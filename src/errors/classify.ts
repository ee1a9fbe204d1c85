// classify: what one thrown value means for the client (status, code, detail, headers), before any rendering.
import type { FastifyReply } from 'fastify'
import { ERROR_CODES, FOREIGN_CODE_MAP, OWNED_ELSEWHERE } from './codes.js'
import { defaultCode, isHttpError, isValidCode, statusTitle } from './http-error.js'
import type { ValidationIssue } from './problem.js'
import { toValidationIssues } from './validation.js'

/** What the handler decided about one error, before it becomes a document. Built only by {@link problem}. */
export interface Problem {
  readonly status: number
  readonly code: string
  /** The error's own problem type URI (an `HttpError`'s `type`); `undefined`: derived from the code. */
  readonly type: string | undefined
  readonly detail: string
  readonly extensions: Readonly<Record<string, unknown>> | undefined
  readonly headers: Readonly<Record<string, unknown>> | undefined
  readonly issues: ValidationIssue[] | undefined
  /** A deliberate, expected failure (load shedding, timeouts): logged at `warn` without a stack. */
  readonly operational: boolean
}

/** The optional parts of a {@link Problem}. */
export type ProblemParts = Partial<Pick<Problem, 'type' | 'extensions' | 'headers' | 'issues' | 'operational'>>

/** The one constructor of a {@link Problem}: every field present, so every problem has one shape. */
export function problem(status: number, code: string, detail: string, parts: ProblemParts = {}): Problem {
  return {
    status,
    code,
    type: parts.type,
    detail,
    extensions: parts.extensions,
    headers: parts.headers,
    issues: parts.issues,
    operational: parts.operational ?? false,
  }
}

/** A mapped foreign error: its readable code, the status that code has everywhere, and whether it is expected. */
interface Mapping {
  readonly code: string
  readonly status: number
  readonly operational: boolean
}

/** Errors of Fastify and the official plugins that mean "overloaded or too slow, retry": no stack per request. */
const OPERATIONAL_FOREIGN: ReadonlySet<string> = new Set(['FST_UNDER_PRESSURE', 'FST_ERR_HANDLER_TIMEOUT'])

function statusOfCode(code: string): number {
  const status = (ERROR_CODES as Readonly<Record<string, { status: number }>>)[code]?.status ?? OWNED_ELSEWHERE[code]
  if (status === undefined) throw new Error(`FOREIGN_CODE_MAP maps onto ${code}, which no registry defines`)
  return status
}

const FOREIGN: ReadonlyMap<string, Mapping> = new Map(
  Object.entries(FOREIGN_CODE_MAP).map(([foreign, code]) => [
    foreign,
    { code, status: statusOfCode(code), operational: OPERATIONAL_FOREIGN.has(foreign) },
  ]),
)

const FRAMEWORK_CODE = /^(?:FST|FAST)_/
/** Brand that `@fastify/error` puts on the prototype of every error it creates (Fastify core and plugins). */
const kFastifyError = Symbol.for('fastify-error-generic')

const VALIDATION_DETAIL: Readonly<Record<string, string>> = {
  body: 'The request body is invalid',
  querystring: 'The query string is invalid',
  params: 'The path parameters are invalid',
  headers: 'The request headers are invalid',
}

interface ErrorLike {
  statusCode?: unknown
  status?: unknown
  code?: unknown
  message?: unknown
  headers?: unknown
  expose?: unknown
  validation?: unknown
  validationContext?: unknown
}

function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined
}

/** A 4xx/5xx already set on the reply (the handler chose it before throwing), else 500. */
function fallbackStatus(reply: FastifyReply): number {
  return errorStatus(reply.statusCode) ?? 500
}

/**
 * Whether a non-HttpError comes from a source whose message and headers are meant for the client:
 * Fastify core and the official plugins (`FST_*` / mapped codes, errors made with `@fastify/error`) and
 * `http-errors` / `@fastify/sensible` errors that say `expose: true`. Anything else (a plain `Error`, an
 * HTTP client's error carrying the upstream status) may hold internal URLs, hosts or credentials.
 */
function isKnownOrigin(e: ErrorLike): boolean {
  const code = e.code
  if (typeof code === 'string' && (FOREIGN.has(code) || FRAMEWORK_CODE.test(code))) return true
  return (e as Record<symbol, unknown>)[kFastifyError] === true || e.expose === true
}

/** The code of an error with its own status: a readable code of its own, or the status's default. */
function ownCode(code: unknown, status: number): string {
  // An application error that carries its own status and a readable code (e.g. from @fastify/error).
  if (isValidCode(code) && !FRAMEWORK_CODE.test(code)) return code
  return status === 429 ? 'RATE_LIMITED' : defaultCode(status)
}

function knownHeaders(e: ErrorLike): Readonly<Record<string, unknown>> | undefined {
  const headers = e.headers
  return typeof headers === 'object' && headers !== null && !Array.isArray(headers)
    ? (headers as Record<string, unknown>)
    : undefined
}

function fromValidation(e: ErrorLike, status: number, headers: Problem['headers']): Problem {
  const context = typeof e.validationContext === 'string' ? e.validationContext : 'body'
  const mapped = typeof e.code === 'string' ? FOREIGN.get(e.code) : undefined
  const code = e.code === undefined ? 'VALIDATION_FAILED' : (mapped?.code ?? ownCode(e.code, status))
  return problem(status, code, VALIDATION_DETAIL[context] ?? 'The request is invalid', {
    headers,
    issues: toValidationIssues(e.validation as unknown[], context),
  })
}

function codeOf(e: ErrorLike, own: number | undefined, status: number): string {
  if (own !== undefined) return ownCode(e.code, status)
  return status === 500 ? 'INTERNAL_SERVER_ERROR' : ownCode(undefined, status)
}

function fromErrorLike(e: ErrorLike, reply: FastifyReply, exposeAll: boolean): Problem {
  const mapped = typeof e.code === 'string' ? FOREIGN.get(e.code) : undefined
  const own = errorStatus(e.statusCode) ?? errorStatus(e.status)
  const known = mapped !== undefined || isKnownOrigin(e)
  const headers = known ? knownHeaders(e) : undefined
  // A validation error keeps its own status: a schemaErrorFormatter may choose one.
  if (Array.isArray(e.validation)) {
    const status = own ?? fallbackStatus(reply)
    if (status < 500) return fromValidation(e, status, headers)
  }
  if (mapped !== undefined) return fromMapped(e, mapped, headers, exposeAll)
  // Fastify's rule: an error's own status wins, else a 4xx/5xx already set on the reply, else 500.
  const status = own ?? fallbackStatus(reply)
  // Only a known source's 4xx message is meant for the client; any other message stays in the logs.
  return problem(status, codeOf(e, own, status), detailOf(e, status, exposeAll || (known && status < 500)), {
    headers,
  })
}

/** An error of Fastify or an official plugin: its readable code, with the status that code has everywhere. */
function fromMapped(e: ErrorLike, mapped: Mapping, headers: Problem['headers'], exposeAll: boolean): Problem {
  const detail = detailOf(e, mapped.status, exposeAll || mapped.status < 500)
  return problem(mapped.status, mapped.code, detail, { headers, operational: mapped.operational })
}

function detailOf(e: ErrorLike, status: number, shown: boolean): string {
  if (!shown || typeof e.message !== 'string' || e.message === '') return statusTitle(status)
  return e.message
}

/** A thrown string, number, `null` or `undefined`. */
function fromThrownValue(error: unknown, reply: FastifyReply, exposeAll: boolean): Problem {
  const status = fallbackStatus(reply)
  const shown = exposeAll && (typeof error === 'string' || typeof error === 'number')
  return problem(
    status,
    status === 500 ? 'INTERNAL_SERVER_ERROR' : defaultCode(status),
    shown ? String(error) : statusTitle(status),
  )
}

/**
 * What a thrown value means for the client. `exposeAll` is the `exposeInternalErrors` option. May throw when the
 * value cannot be read (throwing getters, a revoked Proxy): the caller answers a generic 500 then.
 */
export function classify(error: unknown, reply: FastifyReply, exposeAll: boolean): Problem {
  if (isHttpError(error)) {
    const status = error.statusCode
    return problem(status, error.code, error.expose || exposeAll ? error.message : statusTitle(status), {
      type: error.type,
      extensions: error.extensions,
      headers: error.headers,
      operational: error.operational,
    })
  }
  if (typeof error === 'object' && error !== null) return fromErrorLike(error as ErrorLike, reply, exposeAll)
  return fromThrownValue(error, reply, exposeAll)
}
