// The error codes this app adds on top of fastify-keel's own (VALIDATION_FAILED, TOKEN_EXPIRED,
// INVALID_CREDENTIALS, …; auth's come from `app.authError`, with the right WWW-Authenticate challenge).
// Clients branch on these, so they never change; the README lists them.
import { HttpError } from 'fastify-keel/errors'

/** code → HTTP status, for every error the example's routes throw themselves. */
export const appErrorCodes = {
  EMAIL_TAKEN: 409,
  INVALID_CURRENT_PASSWORD: 400,
  USER_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  LAST_ADMIN: 409,
  INVALID_VALUE: 400,
  DATABASE_UNAVAILABLE: 503,
} as const

export type AppErrorCode = keyof typeof appErrorCodes

/** Seconds a client is told to wait (`Retry-After`) when a dependency is down: readiness notices in about 1 s. */
export const RETRY_AFTER_SECONDS = 5

/** An HttpError carrying one of the app's codes with its fixed status; a 503 also says when to retry. */
export function appError(code: AppErrorCode, detail: string): HttpError {
  const status = appErrorCodes[code]
  if (status === 503) {
    return new HttpError(status, detail, {
      code,
      expose: true,
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    })
  }
  return new HttpError(status, detail, { code })
}
