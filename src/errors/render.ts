// render: a Problem becomes the bytes and headers of a response, computed before anything is written.
import { validateHeaderName, validateHeaderValue } from 'node:http'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { Problem } from './classify.js'
import { statusTitle } from './http-error.js'
import type { ResolvedErrorsOptions } from './options.js'
import { type ProblemDocument, STANDARD_MEMBERS } from './problem.js'
import { uriPath } from './uri.js'

/** The media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/** A response header as Node takes it. */
export type HeaderValue = string | number | string[]

/** Everything a response needs. */
export interface Rendered {
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, HeaderValue]>
  readonly body: string
}

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

function typeOf(config: ResolvedErrorsOptions, code: string): string {
  if (config.typeBaseUri === undefined) return 'about:blank'
  return `${config.typeBaseUri}/${encodeURIComponent(code.toLowerCase().replace(/_/g, '-'))}`
}

/** The path of a request URL, without the query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * The problem document of a Problem. `url` is `undefined` only for a request Node refused before its target was
 * read (client errors): `instance` is then left out of the JSON.
 */
export function toDocument(
  config: ResolvedErrorsOptions,
  problem: Problem,
  url: string | undefined,
  requestId: string,
): ProblemDocument {
  const document: ProblemDocument = {
    type: problem.type ?? typeOf(config, problem.code),
    title: statusTitle(problem.status),
    status: problem.status,
    detail: problem.detail,
    instance: (url === undefined ? undefined : uriPath(pathOf(url))) as string,
    code: problem.code,
    requestId,
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

/** JSON of the document; an extension member JSON cannot hold (BigInt, cycle) drops the extensions. */
export function serialize(document: ProblemDocument, log: FastifyBaseLogger): string {
  try {
    return JSON.stringify(document)
  } catch (err) {
    log.error({ err }, 'problem document extension members could not be serialized; they were dropped')
    const { type, title, status, detail, instance, code, requestId, errors } = document
    return JSON.stringify({ type, title, status, detail, instance, code, requestId, errors })
  }
}

/** Whether Node accepts the header (no CR/LF, a token name). */
export function isValidHeader(name: string, value: HeaderValue): boolean {
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
  reply: Pick<FastifyReply, 'hasHeader'>,
  headers: Readonly<Record<string, unknown>>,
): Array<[string, HeaderValue]> {
  const result: Array<[string, HeaderValue]> = []
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

function transformed(
  config: ResolvedErrorsOptions,
  document: ProblemDocument,
  error: unknown,
  request: FastifyRequest,
): ProblemDocument {
  if (config.transform === undefined) return document
  try {
    const result = config.transform(document, error, request)
    if (typeof result === 'object' && result !== null) return result
  } catch (err) {
    request.log.error({ err }, 'keelErrors transform threw; the untransformed problem document was sent')
  }
  return document
}

function errorStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined
}

/** The response for a Problem raised by a request: document, user transform, headers. */
export function render(
  config: ResolvedErrorsOptions,
  problem: Problem,
  error: unknown,
  request: FastifyRequest,
  reply: Pick<FastifyReply, 'hasHeader'>,
): Rendered {
  const document = transformed(config, toDocument(config, problem, request.url, String(request.id)), error, request)
  return {
    status: errorStatus(document.status) ?? problem.status,
    headers: problem.headers === undefined ? [] : headersToSet(reply, problem.headers),
    body: serialize(document, request.log),
  }
}
