import type { FastifyReply, FastifyRequest } from 'fastify'
import { FOREIGN_CODE_MAP } from './codes.js'
import { defaultCode, isHttpError, statusTitle } from './http-error.js'
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
  detail: string
  extensions: Readonly<Record<string, unknown>> | undefined
  headers: Readonly<Record<string, unknown>> | undefined
  issues: ValidationIssue[] | undefined
}

const SCREAMING_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/
const FRAMEWORK_CODE = /^(?:FST|FAST)_/

const VALIDATION_DETAIL: Readonly<Record<string, string>> = {
  body: 'The request body is invalid',
  querystring: 'The query string is invalid',
  params: 'The path parameters are invalid',
  headers: 'The request headers are invalid',
}

function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined
}

/** Fastify's own rule: an error status wins, else a 4xx/5xx already on the reply, else 500. */
function fallbackStatus(reply: FastifyReply): number {
  return errorStatus(reply.statusCode) ?? 500
}

function codeForForeign(ownCode: unknown, status: number, statusFromError: boolean): string {
  if (typeof ownCode === 'string') {
    const mapped = FOREIGN_CODE_MAP[ownCode]
    if (mapped !== undefined) return mapped
    // An application error that carries its own status and a readable code (e.g. from @fastify/error).
    if (statusFromError && SCREAMING_SNAKE.test(ownCode) && !FRAMEWORK_CODE.test(ownCode)) return ownCode
  }
  if (status === 429) return 'RATE_LIMITED'
  return defaultCode(status)
}

function describe(error: unknown, reply: FastifyReply, config: ResolvedErrorsOptions): Problem {
  if (isHttpError(error)) {
    const status = error.statusCode
    return {
      status,
      code: error.code,
      detail: error.expose || config.exposeInternalErrors ? error.message : statusTitle(status),
      extensions: error.extensions,
      headers: error.headers,
      issues: undefined,
    }
  }
  if (typeof error === 'object' && error !== null) {
    const e = error as {
      statusCode?: unknown
      status?: unknown
      code?: unknown
      message?: unknown
      headers?: unknown
      validation?: unknown
      validationContext?: unknown
    }
    const own = errorStatus(e.statusCode) ?? errorStatus(e.status)
    const status = own ?? fallbackStatus(reply)
    const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined
    const headers =
      typeof e.headers === 'object' && e.headers !== null && !Array.isArray(e.headers)
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
      }
    }
    return {
      status,
      code:
        own === undefined && status === 500
          ? 'INTERNAL_SERVER_ERROR'
          : codeForForeign(e.code, status, own !== undefined),
      detail: status < 500 || config.exposeInternalErrors ? (message ?? statusTitle(status)) : statusTitle(status),
      extensions: undefined,
      headers,
      issues: undefined,
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
  if (problem.status >= 500) {
    request.log.error({ err: loggable(error), statusCode: problem.status, code: problem.code }, 'request failed')
  } else {
    request.log.info({ statusCode: problem.status, code: problem.code }, problem.detail)
  }
}

function toDocument(config: ResolvedErrorsOptions, problem: Problem, request: FastifyRequest): ProblemDocument {
  const document: ProblemDocument = {
    type: typeOf(config, problem.code),
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

function setHeaders(reply: FastifyReply, headers: Readonly<Record<string, unknown>>): void {
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    if (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) reply.header(name, value)
  }
}

/** Renders a decided problem: log once, build the document, send it as `application/problem+json`. */
function send(
  config: ResolvedErrorsOptions,
  problem: Problem,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  log(request, problem, error)
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
  reply.code(status)
  if (problem.headers !== undefined) setHeaders(reply, problem.headers)
  // A string payload skips route response schemas, so `errors` and extension members are never stripped.
  reply.header('content-type', PROBLEM_CONTENT_TYPE).send(serialize(document, request))
}

/** @internal Builds the handler from already validated options. */
export function buildErrorHandler(config: ResolvedErrorsOptions): KeelErrorHandler {
  return function keelErrorHandler(error, request, reply) {
    send(config, describe(error, reply, config), error, request, reply)
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
    }
    send(config, problem, undefined, request, reply)
  }
}

/**
 * Creates the error handler `keelErrors` installs, for apps that install or wrap their own: any thrown
 * value becomes an RFC 9457 problem document (`application/problem+json`), logged once (4xx at `info`,
 * 5xx at `error` with the stack). Options are validated when it is created.
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
