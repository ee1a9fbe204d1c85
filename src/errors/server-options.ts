// Responses Fastify or Node send before any plugin hook runs: a URL that cannot be decoded or an over-long path
// parameter (Fastify's `frameworkErrors`), and a request Node's HTTP parser refused (`clientErrorHandler`). No
// onRequest hook reaches them, so what the hooks would add (the request id header, security headers) is given here.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { isPlainObject } from '../internal/options.js'
import { isSafeRequestId } from '../internal/request-id.js'
import { type Problem, problem } from './classify.js'
import { buildErrorHandler } from './handler.js'
import { logProblem } from './log.js'
import { type KeelErrorsOptions, type ResolvedErrorsOptions, read, resolveErrorsOptions } from './options.js'
import { isValidHeader, PROBLEM_CONTENT_TYPE, toDocument } from './render.js'

/** Options of {@link problemServerOptions}: the errors options, and what the skipped hooks would have added. */
export interface KeelProblemServerOptions extends KeelErrorsOptions {
  /**
   * The response header that carries the request id (`keelRequestId`'s `header`). Set to `request.id` on these
   * responses; the document's `requestId` always is.
   * @default undefined (no header)
   */
  requestIdHeader?: string
  /** Headers sent with every such response, e.g. your security headers. @default {} */
  headers?: Readonly<Record<string, string>>
  /**
   * Makes the id of a request Node refused (it never reached Fastify's id generator). Must return 1..1024 visible
   * ASCII characters; anything else, or a throw, falls back to `crypto.randomUUID()`.
   * @default crypto.randomUUID
   */
  generateId?: () => string
}

/** A Node `clientError`, as Fastify hands it to `clientErrorHandler`. */
interface ClientError extends Error {
  code?: string
}

/** The two Fastify server options {@link problemServerOptions} returns. */
export interface ProblemServerOptions {
  /** For Fastify's `frameworkErrors`: bad URLs (`BAD_URL`) and over-long path parameters (`PARAM_TOO_LONG`). */
  frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => void
  /** For Fastify's `clientErrorHandler`: requests Node's HTTP parser refused (431, 400, 408, 413). */
  clientErrorHandler: (this: { log?: FastifyBaseLogger } | undefined, error: ClientError, socket: Duplex) => void
}

/** Node's parser codes → the problem sent; anything else is bad framing. */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request line and headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PAYLOAD_TOO_LARGE', 'The chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time'],
}
const MALFORMED: readonly [number, string, string] = [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP']

/** What the skipped hooks would have added: fixed headers, and the name of the request id header. */
interface Additions {
  readonly headers: Readonly<Record<string, string>>
  /** The same headers as raw HTTP lines, for a client-error response written to the socket. */
  readonly lines: string
  readonly idHeader: string | undefined
}

function additions(options: KeelProblemServerOptions): Additions {
  const idHeader = read.optionalString('requestIdHeader', options.requestIdHeader, {
    pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    fix: 'use a header name such as "x-request-id"',
  })
  const given: unknown = options.headers ?? {}
  if (!isPlainObject(given))
    throw read.error('headers', 'must be an object', given, "pass e.g. { 'x-frame-options': 'DENY' }")
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(given)) {
    if (typeof value !== 'string' || !isValidHeader(name.toLowerCase(), value)) {
      throw read.error(`headers.${name}`, 'is not a valid header', value, 'pass header names with string values')
    }
    headers[name.toLowerCase()] = value
  }
  const lines = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  return Object.freeze({ headers: Object.freeze(headers), lines, idHeader: idHeader?.toLowerCase() })
}

function frameworkErrorHandler(config: ResolvedErrorsOptions, add: Additions): ProblemServerOptions['frameworkErrors'] {
  const handle = buildErrorHandler(config)
  return function keelFrameworkErrors(error, request, reply) {
    reply.headers(add.headers)
    if (add.idHeader !== undefined) reply.header(add.idHeader, request.id)
    handle(error, request, reply)
  }
}

function safeId(generate: () => string): string {
  try {
    const id: unknown = generate()
    if (isSafeRequestId(id)) return id
  } catch {
    // A throwing generator must not keep the client from its answer.
  }
  return randomUUID()
}

function clientResponse(config: ResolvedErrorsOptions, add: Additions, refused: Problem, requestId: string): string {
  const body = JSON.stringify(toDocument(config, refused, undefined, requestId))
  let head = `HTTP/1.1 ${refused.status} ${STATUS_CODES[refused.status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n`
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n`
  head += add.lines
  if (add.idHeader !== undefined) head += `${add.idHeader}: ${requestId}\r\n`
  return `${head}\r\n${body}`
}

function clientErrorHandler(
  config: ResolvedErrorsOptions,
  add: Additions,
  generateId: () => string,
): ProblemServerOptions['clientErrorHandler'] {
  return function keelClientErrorHandler(error, socket) {
    // A reset connection has no one to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    // As Node does: answer only when no response is being written on this connection, or the bytes would mix.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
    if (socket.writable && (inFlight == null || inFlight.headersSent !== true)) {
      const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED
      const refused = problem(status, code, detail)
      const log = this?.log
      if (log !== undefined) logProblem(log, refused, error)
      socket.write(clientResponse(config, add, refused, safeId(generateId)))
    }
    socket.destroy(error)
  }
}

/**
 * Fastify server options that make the errors Fastify and Node answer before any plugin runs problem documents
 * too: `frameworkErrors` (an undecodable URL is `BAD_URL` 400, an over-long path parameter `PARAM_TOO_LONG` 414) and
 * `clientErrorHandler` (Node's parser refusing a request: `HEADERS_TOO_LARGE` 431, `MALFORMED_REQUEST` 400,
 * `REQUEST_TIMEOUT` 408, `PAYLOAD_TOO_LARGE` 413, where Node allows an answer). Pass them to `Fastify()`; with the
 * `keel` preset, `keelServerOptions()` from `fastify-keel` builds them from the preset's options.
 *
 * @param options the errors options (`typeBaseUri`, `exposeInternalErrors`, `transform`), plus `requestIdHeader`,
 *   `headers` and `generateId`
 * @example
 * const app = Fastify({ ...problemServerOptions({ requestIdHeader: 'x-request-id' }) })
 * await app.register(keelRequestId)
 * await app.register(keelErrors)
 * @see docs/errors.md
 */
export function problemServerOptions(options: KeelProblemServerOptions = {}): ProblemServerOptions {
  const { requestIdHeader: _header, headers: _headers, generateId, ...errorsOptions } = options
  const config = resolveErrorsOptions(errorsOptions)
  const add = additions(options)
  const generate = read.func<() => string>('generateId', generateId) ?? randomUUID
  return {
    frameworkErrors: frameworkErrorHandler(config, add),
    clientErrorHandler: clientErrorHandler(config, add, generate),
  }
}
