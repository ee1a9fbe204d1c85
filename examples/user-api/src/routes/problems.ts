// Every route documents the problem documents it can answer with, next to its success response.
import { ProblemDetailsSchema } from 'fastify-keel/errors'

/**
 * Answers every route can give whatever it does: 500 on a bug or an outage, and 503 when the health plugin
 * sheds load (`MAX_EVENT_LOOP_DELAY`, `SERVICE_OVERLOADED`) or the app is shutting down.
 */
const ALWAYS = [500, 503] as const

/** `{ 400: ProblemDetails, 401: ProblemDetails, …, 500: …, 503: … }` for a route's response schema. */
export function problemResponses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number] | (typeof ALWAYS)[number]]: typeof ProblemDetailsSchema } {
  return Object.fromEntries([...statuses, ...ALWAYS].map((status) => [status, ProblemDetailsSchema])) as {
    [K in S[number] | (typeof ALWAYS)[number]]: typeof ProblemDetailsSchema
  }
}
