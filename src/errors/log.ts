// log: one line per error, at the level its kind deserves; logging can never break the response.
import type { FastifyBaseLogger } from 'fastify'
import type { Problem } from './classify.js'

function loggable(error: unknown): Error {
  if (error instanceof Error) return error
  // Never log the thrown value itself: it may be large or hold secrets.
  const wrapped = new Error(`A non-Error value was thrown: ${error === null ? 'null' : typeof error}`)
  wrapped.name = 'NonErrorThrown'
  return wrapped
}

function write(log: FastifyBaseLogger, problem: Problem, error: unknown): void {
  if (problem.operational) {
    // A deliberate 5xx is sent for every shed request exactly when the process is overloaded: one short line, no stack.
    log.warn({ statusCode: problem.status, code: problem.code }, 'request refused: service unavailable')
  } else if (problem.status >= 500) {
    log.error({ err: loggable(error), statusCode: problem.status, code: problem.code }, 'request failed')
  } else {
    log.info({ statusCode: problem.status, code: problem.code }, problem.detail)
  }
}

/** Logs the error once: 4xx at `info`, operational failures at `warn`, other 5xx at `error` with the stack. */
export function logProblem(log: FastifyBaseLogger, problem: Problem, error: unknown): void {
  try {
    write(log, problem, error)
  } catch (failure) {
    // pino's error serializer reads every property of the error, and one may throw.
    logUnreadable(log, problem.status, failure)
  }
}

/** The one line written when the thrown value itself cannot be read. */
export function logUnreadable(log: FastifyBaseLogger, status: number, failure: unknown): void {
  try {
    const err = new Error(
      `the thrown error could not be read (${failure instanceof Error ? failure.name : typeof failure})`,
    )
    err.name = 'UnreadableError'
    log.error({ err, statusCode: status }, 'request failed')
  } catch {
    // Nothing left to log with.
  }
}
