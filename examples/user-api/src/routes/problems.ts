// Every route documents the problem documents it can answer with, next to its success response.
import { ProblemDetailsSchema } from 'fastify-keel/errors'

/** `{ 400: ProblemDetails, 401: ProblemDetails, … }` for a route's response schema. */
export function problemResponses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number]]: typeof ProblemDetailsSchema } {
  return Object.fromEntries(statuses.map((status) => [status, ProblemDetailsSchema])) as {
    [K in S[number]]: typeof ProblemDetailsSchema
  }
}
