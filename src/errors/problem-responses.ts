// Route response schemas for problem documents, in the media type keel sends them with. Fastify picks a response
// schema by status and content type, and @fastify/swagger documents each `content` entry as it is written, so a
// typed client generated from the document can tell a problem document from a success body by its media type.
import { STATUS_CODES } from 'node:http'
import { PROBLEM_DETAILS_ID } from './problem.js'

/** The media type of problem documents (RFC 9457), without the `charset` parameter keel adds when sending. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** The reference to the `ProblemDetails` schema keelErrors adds to the app. */
export interface ProblemDetailsRef {
  readonly $ref: `${typeof PROBLEM_DETAILS_ID}#`
}

/**
 * A route `response` entry for one problem status: `application/problem+json`, a reference to `ProblemDetails`
 * (keel's error handler sends these bodies; a handler throws instead of returning them, so the reply type stays open).
 */
export interface ProblemResponseSchema {
  readonly description: string
  readonly content: { readonly 'application/problem+json': { readonly schema: ProblemDetailsRef } }
}

const PROBLEM_REF: ProblemDetailsRef = Object.freeze({ $ref: `${PROBLEM_DETAILS_ID}#` })

/** What {@link problemResponse} writes besides the schema. */
export interface ProblemResponseOptions {
  /** The response's description. @default the reason phrase of the status, e.g. `Not Found` */
  description?: string
  /** The `code` values the route can send with this status, listed in the description. @default [] */
  codes?: readonly string[]
}

/**
 * One route `response` entry for a problem document: `{ description, content: { 'application/problem+json':
 * { schema: { $ref: 'ProblemDetails#' } } } }`. Fastify serializes the documents keel sends with it, and OpenAPI shows the
 * media type they really have. Needs keelErrors, which adds the `ProblemDetails` schema.
 *
 * @param status the HTTP status, 400..599
 * @param options `description` (default: the reason phrase), `codes` (default: none listed)
 * @example
 * app.get('/users/:id', { schema: { response: { 200: User, 404: problemResponse(404, { codes: ['USER_NOT_FOUND'] }) } } }, getUser)
 * @see docs/errors.md#typescript
 */
export function problemResponse(status: number, options: ProblemResponseOptions = {}): ProblemResponseSchema {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`problemResponse: status must be an integer in 400..599, got ${String(status)}`)
  }
  const title = options.description ?? STATUS_CODES[status] ?? `HTTP ${status}`
  const codes = options.codes ?? []
  const description = codes.length === 0 ? title : `${title}. \`code\`: ${codes.map((c) => `\`${c}\``).join(', ')}`
  return Object.freeze({ description, content: { [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_REF } } })
}

/**
 * Route `response` entries for several problem statuses at once: `{ 401: problemResponse(401), 404: … }`.
 *
 * @param statuses HTTP statuses, 400..599
 * @example
 * app.post('/login', { schema: { body: Login, response: { 200: Tokens, ...problemResponses(401, 409) } } }, login)
 * @see docs/errors.md#typescript
 */
export function problemResponses<const S extends readonly number[]>(
  ...statuses: S
): { readonly [K in S[number]]: ProblemResponseSchema } {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as {
    readonly [K in S[number]]: ProblemResponseSchema
  }
}
