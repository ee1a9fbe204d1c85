// handler: the error handler and the not-found handler keelErrors installs; classify → render → log → send.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { classify, type Problem, problem } from './classify.js'
import { statusTitle } from './http-error.js'
import { logProblem, logUnreadable } from './log.js'
import { type KeelErrorsOptions, type ResolvedErrorsOptions, resolveErrorsOptions } from './options.js'
import { PROBLEM_CONTENT_TYPE, pathOf, type Rendered, render, toDocument } from './render.js'

export { PROBLEM_CONTENT_TYPE } from './render.js'

/**
 * A Fastify error handler that renders any thrown value as a problem document. It sends the reply and
 * returns nothing.
 */
export type KeelErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void

const INTERNAL: Problem = problem(500, 'INTERNAL_SERVER_ERROR', statusTitle(500))

function write(reply: FastifyReply, rendered: Rendered): void {
  reply.code(rendered.status)
  for (const [name, value] of rendered.headers) reply.header(name, value)
  // A string payload skips route response schemas, so `errors` and extension members are never stripped.
  reply.header('content-type', PROBLEM_CONTENT_TYPE).send(rendered.body)
}

/** The answer when the thrown value cannot be read (throwing getter, Proxy): a generic 500 document. */
function sendUnreadable(config: ResolvedErrorsOptions, request: FastifyRequest, reply: FastifyReply, failure: unknown) {
  logUnreadable(request.log, 500, failure)
  const body = JSON.stringify(toDocument(config, INTERNAL, request.url, String(request.id)))
  write(reply, { status: 500, headers: [], body })
}

/** Renders, logs once and sends a Problem; never throws, whatever was thrown. */
export function sendProblem(
  config: ResolvedErrorsOptions,
  problem: Problem,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  let rendered: Rendered
  try {
    rendered = render(config, problem, error, request, reply)
    logProblem(request.log, problem, error)
  } catch (failure) {
    sendUnreadable(config, request, reply, failure)
    return
  }
  write(reply, rendered)
}

/** @internal Builds the handler from already validated options. */
export function buildErrorHandler(config: ResolvedErrorsOptions): KeelErrorHandler {
  const exposeAll = config.exposeInternalErrors
  return function keelErrorHandler(error, request, reply) {
    let classified: Problem
    try {
      classified = classify(error, reply, exposeAll)
    } catch (failure) {
      sendUnreadable(config, request, reply, failure)
      return
    }
    sendProblem(config, classified, error, request, reply)
  }
}

/** @internal Builds the not-found handler from already validated options. */
export function buildNotFoundHandler(config: ResolvedErrorsOptions) {
  return function keelNotFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
    const notFound = problem(404, 'ROUTE_NOT_FOUND', `Route ${request.method}:${pathOf(request.url)} not found`)
    sendProblem(config, notFound, undefined, request, reply)
  }
}

/**
 * Creates the error handler `keelErrors` installs, for apps that install or wrap their own: any thrown
 * value becomes an RFC 9457 problem document (`application/problem+json`), logged once (4xx at `info`,
 * operational failures at `warn`, other 5xx at `error` with the stack). Options are validated when it is created.
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
