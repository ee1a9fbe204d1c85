import { validateHeaderName, validateHeaderValue } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FOREIGN_CODE_MAP } from './codes.js'
import { defaultCode, isHttpError, isValidCode, statusTitle } from './http-error.js'
import { type KeelErrorsOptions, type ResolvedErrorsOptions, resolveErrorsOptions } from './options.js'
import { type ProblemDocument, STANDARD_MEMBERS, type ValidationIssue } from './problem.js'
import { toValidationIssues } from './validation.js'

/** The media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/**
 * A Fastify error handler that renders any thrown value as a problem document. It sends the reply and
 * returns nothing.
 */
export type KeelErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void

/** What the handler decided about one error, before it becomes a document. */
interface Problem {
  status: number
  code: string
  /** The error's own problem type URI (an `HttpError`'s `type`), else derived from the code. */
  type?: string | undefined
  detail: string
  extensions: Readonly<Record<string, unknown>> | undefined
  headers: Readonly<Record<string, unknown>> | undefined
  issues: ValidationIssue[] | undefined
  /** A deliberate, expected 5xx (load shedding, timeouts): logged at `warn` without a stack. */
  operational: boolean
}

const FRAMEWORK_CODE = /^(?:FST|FAST)_/
/** Set by keelRequestId on the instance: the name of its response header. */
const kRequestIdHeader = Symbol.for('fastify-keel.request-id.header')

/** Known-origin 503 codes that mean "overloaded, retry": expected under load, so no stack per request. */
const OPERATIONAL_CODES: ReadonlySet<string> = new Set(['SERVICE_OVERLOADED', 'HANDLER_TIMEOUT'])

/**
 * Headers an error may never set: they describe the body keel writes (`content-*`), the connection
 * (hop-by-hop), or hand a client state it did not ask for (`set-cookie`, e.g. from an upstream response).
 */
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'set-cookie',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'trailer',
])

const VALIDATION_DETAIL: Readonly<Record<string, string>> = {
  body: 'The request body is invalid',
  querystring: 'The query string is invalid',
  params: 'The path parameters are invalid',
  headers: 'The request headers are invalid',
}

function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined
}

/** A 4xx/5xx already set on the reply (the handler chose it before throwing), else 500. */
function fallbackStatus(reply: FastifyReply): number {
  return errorStatus(reply.statusCode) ?? 500
}

function codeForForeign(ownCode: unknown, status: number, statusFromError: boolean): string {
  if (typeof ownCode === 'string') {
    const mapped = FOREIGN_CODE_MAP[ownCode]
    if (mapped !== undefined) return mapped
    // An application error that carries its own status and a readable code (e.g. from @fastify/error).
    if (statusFromError && isValidCode(ownCode) && !FRAMEWORK_CODE.test(ownCode)) return ownCode
  }
  if (status === 429) return 'RATE_LIMITED'
  return defaultCode(status)
}

/** Brand that `@fastify/error` puts on the prototype of every error it creates (Fastify core and plugins). */
const kFastifyError = Symbol.for('fastify-error-generic')

/**
 * Whether a non-HttpError comes from a source whose message and headers are meant for the client:
 * Fastify core and the official plugins (`FST_*` / mapped codes, errors made with `@fastify/error`) and
 * `http-errors` / `@fastify/sensible` errors that say `expose: true`. Anything else (a plain `Error`, an
 * HTTP client's error carrying the upstream status) may hold internal URLs, hosts or credentials.
 */
function isKnownOrigin(e: ErrorLike): boolean {
  const code = e.code
  if (typeof code === 'string' && (FOREIGN_CODE_MAP[code] !== undefined || FRAMEWORK_CODE.test(code))) return true
  return (e as Record<symbol, unknown>)[kFastifyError] === true || e.expose === true
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

function describe(error: unknown, reply: FastifyReply, config: ResolvedErrorsOptions): Problem {
  if (isHttpError(error)) {
    const status = error.statusCode
    return {
      status,
      code: error.code,
      type: error.type,
      detail: error.expose || config.exposeInternalErrors ? error.message : statusTitle(status),
      extensions: error.extensions,
      headers: error.headers,
      issues: undefined,
      operational: status === 503,
    }
  }
  if (typeof error === 'object' && error !== null) {
    const e = error as ErrorLike
    const own = errorStatus(e.statusCode) ?? errorStatus(e.status)
    // Fastify's rule: an error's own status wins, else a 4xx/5xx already set on the reply, else 500.
    const status = own ?? fallbackStatus(reply)
    const known = isKnownOrigin(e)
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined
    const headers =
      known && typeof e.headers === 'object' && e.headers !== null && !Array.isArray(e.headers)
        ? (e.headers as Record<string, unknown>)
        : undefined
    if (Array.isArray(e.validation) && status < 500) {
      const context = typeof e.validationContext === 'string' ? e.validationContext : 'body'
      return {
        status,
        code: e.code === 'FST_ERR_VALIDATION' || e.code === undefined ? 'VALIDATION_FAILED' : codeFor(e.code, status),
        detail: VALIDATION_DETAIL[context] ?? 'The request is invalid',
        extensions: undefined,
        headers,
        issues: toValidationIssues(e.validation, context),
        operational: false,
      }
    }
    const code =
      own === undefined && status === 500 ? 'INTERNAL_SERVER_ERROR' : codeForForeign(e.code, status, own !== undefined)
    // Only a known source's 4xx message is meant for the client; any other message stays in the logs.
    const shown = config.exposeInternalErrors || (known && status < 500)
    return {
      status,
      code,
      detail: shown ? (message ?? statusTitle(status)) : statusTitle(status),
      extensions: undefined,
      headers,
      issues: undefined,
      operational: known && status === 503 && OPERATIONAL_CODES.has(code),
    }
  }
  // A thrown string, number, null or undefined.
  const status = fallbackStatus(reply)
  return {
    status,
    code: status === 500 ? 'INTERNAL_SERVER_ERROR' : defaultCode(status),
    detail:
      config.exposeInternalErrors && (typeof error === 'string' || typeof error === 'number')
        ? String(error)
        : statusTitle(status),
    extensions: undefined,
    headers: undefined,
    issues: undefined,
    operational: false,
  }
}

function codeFor(code: unknown, status: number): string {
  return codeForForeign(code, status, true)
}

function typeOf(config: ResolvedErrorsOptions, code: string): string {
  if (config.typeBaseUri === undefined) return 'about:blank'
  return `${config.typeBaseUri}/${encodeURIComponent(code.toLowerCase().replace(/_/g, '-'))}`
}

function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function loggable(error: unknown): Error {
  if (error instanceof Error) return error
  // Never log the thrown value itself: it may be large or hold secrets.
  const wrapped = new Error(`A non-Error value was thrown: ${error === null ? 'null' : typeof error}`)
  wrapped.name = 'NonErrorThrown'
  return wrapped
}

function log(request: FastifyRequest, problem: Problem, error: unknown): void {
  if (problem.operational) {
    // A deliberate 503 is sent for every shed request exactly when the process is overloaded: one short line, no stack.
    request.log.warn({ statusCode: problem.status, code: problem.code }, 'request refused: service unavailable')
  } else if (problem.status >= 500) {
    request.log.error({ err: loggable(error), statusCode: problem.status, code: problem.code }, 'request failed')
  } else {
    request.log.info({ statusCode: problem.status, code: problem.code }, problem.detail)
  }
}

/** Logging must not break the response: pino's error serializer reads every property of the error. */
function safeLog(request: FastifyRequest, problem: Problem, error: unknown): void {
  try {
    log(request, problem, error)
  } catch (failure) {
    logUnreadable(request, problem.status, failure)
  }
}

function logUnreadable(request: FastifyRequest, status: number, failure: unknown): void {
  try {
    const err = new Error(
      `the thrown error could not be read (${failure instanceof Error ? failure.name : typeof failure})`,
    )
    err.name = 'UnreadableError'
    request.log.error({ err, statusCode: status }, 'request failed')
  } catch {
    // Nothing left to log with.
  }
}

function toDocument(config: ResolvedErrorsOptions, problem: Problem, request: FastifyRequest): ProblemDocument {
  const document: ProblemDocument = {
    type: problem.type ?? typeOf(config, problem.code),
    title: statusTitle(problem.status),
    status: problem.status,
    detail: problem.detail,
    instance: pathOf(request.url),
    code: problem.code,
    requestId: String(request.id),
  }
  if (problem.issues !== undefined) document.errors = problem.issues
  const extensions = problem.extensions
  if (extensions !== undefined) {
    for (const key of Object.keys(extensions)) {
      if (!STANDARD_MEMBERS.has(key)) document[key] = extensions[key]
    }
  }
  return document
}

function serialize(document: ProblemDocument, request: FastifyRequest): string {
  try {
    return JSON.stringify(document)
  } catch (err) {
    // An extension member that JSON cannot hold (BigInt, cycle): send the standard members only.
    request.log.error({ err }, 'problem document extension members could not be serialized; they were dropped')
    const { type, title, status, detail, instance, code, requestId, errors } = document
    return JSON.stringify({ type, title, status, detail, instance, code, requestId, errors })
  }
}

function isValidHeader(name: string, value: string | number | string[]): boolean {
  try {
    validateHeaderName(name)
    for (const item of Array.isArray(value) ? value : [String(value)]) validateHeaderValue(name, item)
    return true
  } catch {
    return false
  }
}

/**
 * The error's headers that may reach the client: valid for Node (no CR/LF), not about the body or the
 * connection, not `set-cookie`, and never one already on the reply (`x-request-id`, `retry-after` set
 * by the plugin that raised the error).
 */
function headersToSet(
  reply: FastifyReply,
  headers: Readonly<Record<string, unknown>>,
): Array<[string, string | number | string[]]> {
  const result: Array<[string, string | number | string[]]> = []
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase()
    if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith('content-') || reply.hasHeader(lower)) continue
    const raw = headers[name]
    const value = Array.isArray(raw) ? raw.map(String) : raw
    if (
      (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) &&
      isValidHeader(lower, value)
    ) {
      result.push([lower, value])
    }
  }
  return result
}

/** Everything the reply needs, computed before anything is written to it. */
interface Rendered {
  status: number
  headers: Array<[string, string | number | string[]]>
  body: string
}

function render(
  config: ResolvedErrorsOptions,
  problem: Problem,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Rendered {
  let document = toDocument(config, problem, request)
  let status = problem.status
  if (config.transform !== undefined) {
    try {
      const transformed = config.transform(document, error, request)
      if (typeof transformed === 'object' && transformed !== null) {
        document = transformed
        status = errorStatus(transformed.status) ?? status
      }
    } catch (err) {
      request.log.error({ err }, 'keelErrors transform threw; the untransformed problem document was sent')
    }
  }
  const headers = problem.headers === undefined ? [] : headersToSet(reply, problem.headers)
  return { status, headers, body: serialize(document, request) }
}

/** The answer when the error itself cannot be read (throwing getter, Proxy): a generic 500 document. */
function renderInternal(config: ResolvedErrorsOptions, request: FastifyRequest): Rendered {
  const problem: Problem = {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    detail: statusTitle(500),
    extensions: undefined,
    headers: undefined,
    issues: undefined,
    operational: false,
  }
  return { status: 500, headers: [], body: JSON.stringify(toDocument(config, problem, request)) }
}

/** Describes, logs once and sends a problem document; never throws, whatever was thrown. */
function send(
  config: ResolvedErrorsOptions,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  describeError: (error: unknown, reply: FastifyReply) => Problem,
): void {
  let rendered: Rendered
  try {
    const problem = describeError(error, reply)
    rendered = render(config, problem, error, request, reply)
    safeLog(request, problem, error)
  } catch (failure) {
    logUnreadable(request, 500, failure)
    rendered = renderInternal(config, request)
  }
  reply.code(rendered.status)
  for (const [name, value] of rendered.headers) reply.header(name, value)
  // Responses Fastify sends before any hook runs (frameworkErrors) lack keelRequestId's header: set it here.
  const idHeader = (request.server as unknown as Record<symbol, unknown> | undefined)?.[kRequestIdHeader]
  if (typeof idHeader === 'string' && typeof request.id === 'string' && !reply.hasHeader(idHeader)) {
    reply.header(idHeader, request.id)
  }
  // A string payload skips route response schemas, so `errors` and extension members are never stripped.
  reply.header('content-type', PROBLEM_CONTENT_TYPE).send(rendered.body)
}

/** @internal Builds the handler from already validated options. */
export function buildErrorHandler(config: ResolvedErrorsOptions): KeelErrorHandler {
  const describeError = (error: unknown, reply: FastifyReply): Problem => describe(error, reply, config)
  return function keelErrorHandler(error, request, reply) {
    send(config, error, request, reply, describeError)
  }
}

/** @internal Builds the not-found handler from already validated options. */
export function buildNotFoundHandler(config: ResolvedErrorsOptions) {
  return function keelNotFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
    const problem: Problem = {
      status: 404,
      code: 'ROUTE_NOT_FOUND',
      detail: `Route ${request.method}:${pathOf(request.url)} not found`,
      extensions: undefined,
      headers: undefined,
      issues: undefined,
      operational: false,
    }
    send(config, undefined, request, reply, () => problem)
  }
}

/**
 * Creates the error handler `keelErrors` installs, for apps that install or wrap their own: any thrown
 * value becomes an RFC 9457 problem document (`application/problem+json`), logged once (4xx at `info`,
 * deliberate 503s at `warn`, other 5xx at `error` with the stack). Options are validated when it is created.
 *
 * @param options same as `keelErrors`: `exposeInternalErrors` (default `false`), `typeBaseUri`, `transform`
 * @example
 * const renderProblem = createErrorHandler({ typeBaseUri: 'https://errors.example.com' })
 * app.setErrorHandler(function (error, request, reply) {
 *   metrics.count(error)
 *   renderProblem(error, request, reply)
 * })
 * @see docs/errors.md
 */
export function createErrorHandler(options?: KeelErrorsOptions): KeelErrorHandler {
  return buildErrorHandler(resolveErrorsOptions(options))
}
