import { Type } from '@sinclair/typebox'

/** `$id` under which `keelErrors` adds {@link ProblemDetailsSchema}: reference it as `{ $ref: 'ProblemDetails#' }`. */
export const PROBLEM_DETAILS_ID = 'ProblemDetails'

/** Where a failing value was found in the request. */
export type ValidationLocation = 'body' | 'querystring' | 'params' | 'headers'

/** One entry of `errors[]` in a validation problem document: one failing field. */
export interface ValidationIssue {
  /** Which part of the request holds the field. */
  location: ValidationLocation
  /** RFC 6901 JSON Pointer to the field inside that part, e.g. `/address/zip`; `''` for the whole part. */
  pointer: string
  /** Human-readable message from the validator, e.g. `must match format "email"`. */
  message: string
  /** The JSON Schema keyword that failed, e.g. `format`, `required`, `type`. */
  keyword: string
}

/**
 * An RFC 9457 problem document as fastify-keel sends it. Extension members (from `HttpError`
 * `extensions` or your `transform`) appear at the top level.
 * @see docs/errors.md
 */
export interface ProblemDocument {
  /**
   * The error's own problem type (an `HttpError` `type`, e.g. a registered IANA one), else `about:blank`, or
   * `${typeBaseUri}/${code-in-kebab-case}` when `typeBaseUri` is set.
   */
  type: string
  /** The reason phrase of `status`, e.g. `Not Found`. */
  title: string
  /** The HTTP status, 400..599. */
  status: number
  /** What went wrong; generic for 5xx unless exposed. */
  detail: string
  /** The request path, without the query string. */
  instance: string
  /** Stable SCREAMING_SNAKE machine code. */
  code: string
  /** `request.id`; equals the request id response header when `keelRequestId` is registered. */
  requestId: string
  /** Only for validation failures: one entry per failing field. */
  errors?: ValidationIssue[]
  /** Extension members. */
  [extension: string]: unknown
}

/**
 * TypeBox schema of a problem document, added to the app by `keelErrors` under `$id` `ProblemDetails`.
 * Use it (or `{ $ref: 'ProblemDetails#' }`) in route `response` schemas for 4xx/5xx so OpenAPI shows
 * it. It allows additional properties, so `errors[]` and extension members are never stripped.
 *
 * @example
 * app.post('/users', { schema: { body: UserBody, response: { 201: User, 400: ProblemDetailsSchema } } }, handler)
 * @see docs/errors.md
 */
export const ProblemDetailsSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference naming the problem type; `about:blank` by default' }),
    title: Type.String({ description: 'Reason phrase of the HTTP status', examples: ['Not Found'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, description: 'HTTP status code' }),
    detail: Type.String({ description: 'Human-readable explanation of this occurrence' }),
    instance: Type.String({ description: 'Request path, without the query string' }),
    code: Type.String({ description: 'Stable machine code (SCREAMING_SNAKE)', examples: ['VALIDATION_FAILED'] }),
    requestId: Type.String({ description: 'Request id; equals the request id response header' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object(
          {
            location: Type.Union([
              Type.Literal('body'),
              Type.Literal('querystring'),
              Type.Literal('params'),
              Type.Literal('headers'),
            ]),
            pointer: Type.String({ description: 'RFC 6901 JSON Pointer into that part of the request' }),
            message: Type.String(),
            keyword: Type.String({ description: 'JSON Schema keyword that failed' }),
          },
          { additionalProperties: true },
        ),
        { description: 'Validation failures, one per failing field (only for VALIDATION_FAILED)' },
      ),
    ),
  },
  {
    $id: PROBLEM_DETAILS_ID,
    title: 'ProblemDetails',
    description: 'RFC 9457 problem document; extension members may appear at the top level',
    additionalProperties: true,
  },
)

/** Members an extension can never overwrite. */
export const STANDARD_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
  'requestId',
  'errors',
  '__proto__',
  'constructor',
  'prototype',
])
