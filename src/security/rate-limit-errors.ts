// The errors of a refused or unchecked request, with the problem types of the IETF RateLimit fields draft. Their
// headers are written on the reply by the check that refused the request (rate-limit-headers.ts), so they are
// the same whichever error handler renders the error.
import { HttpError } from '../errors/index.js'
import { QUOTA_EXCEEDED_TYPE, TEMPORARY_REDUCED_CAPACITY_TYPE } from '../internal/problem-types.js'

/** Seconds a client is asked to wait when a limit cannot be checked (Redis down and `skipOnError: false`). */
export const UNAVAILABLE_RETRY_AFTER = 5

/** 429 `RATE_LIMITED`: the request exceeds the named policies (`violated-policies`). */
export function rateLimitedError(retryAfter: number, violated: readonly string[]): HttpError {
  return new HttpError(429, `Too many requests; retry in ${retryAfter} seconds`, {
    code: 'RATE_LIMITED',
    type: QUOTA_EXCEEDED_TYPE,
    extensions: { 'violated-policies': violated },
  })
}

/** 503 `RATE_LIMIT_UNAVAILABLE`: the named policies could not be checked and fail closed. */
export function unavailableError(violated: readonly string[], cause: unknown): HttpError {
  return new HttpError(503, 'Rate limiting is unavailable; retry later', {
    code: 'RATE_LIMIT_UNAVAILABLE',
    type: TEMPORARY_REDUCED_CAPACITY_TYPE,
    extensions: { 'violated-policies': violated },
    cause,
  })
}
