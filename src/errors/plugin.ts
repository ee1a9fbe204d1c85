import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { buildErrorHandler, buildNotFoundHandler } from './handler.js'
import { type KeelErrorsOptions, read, resolveErrorsOptions } from './options.js'
import { PROBLEM_DETAILS_ID, ProblemDetailsSchema } from './problem.js'
import { strictBodyValidatorFactory } from './strict-body.js'

const kRegistered = Symbol.for('fastify-keel.errors.registered')

const plugin: FastifyPluginAsync<KeelErrorsOptions> = async (app, opts) => {
  const config = resolveErrorsOptions(opts)
  if (app.hasDecorator(kRegistered as unknown as string)) {
    throw read.misuse(
      'KEEL_ERR_ERRORS_ALREADY_REGISTERED',
      'keelErrors is already registered in this context',
      'register it once, at the root, before your routes',
    )
  }
  app.decorate(kRegistered as unknown as string, true)

  if (config.strictBody) app.setSchemaController({ compilersFactory: { buildValidator: strictBodyValidatorFactory() } })
  if (app.getSchema(PROBLEM_DETAILS_ID) === undefined) app.addSchema(ProblemDetailsSchema)

  app.setErrorHandler(buildErrorHandler(config))
  try {
    app.setNotFoundHandler(buildNotFoundHandler(config))
  } catch (err) {
    throw read.misuse(
      'KEEL_ERR_ERRORS_NOT_FOUND_HANDLER_SET',
      `keelErrors could not install its not-found handler (${(err as Error).message})`,
      'remove your own root setNotFoundHandler or register keelErrors before it',
    )
  }
}

/**
 * Makes every error response an RFC 9457 problem document (`application/problem+json`): installs the
 * error handler and the not-found handler once, at the root, and adds `ProblemDetailsSchema` as the
 * shared schema `ProblemDetails`. Register it first, before your routes and other plugins. A child
 * context's own `setErrorHandler` still wins inside that context; what it rethrows is rendered here.
 *
 * @param options `exposeInternalErrors` (default `false`), `typeBaseUri` (default: `type` is `about:blank`),
 *   `transform` (default none), `strictBody` (default `false`)
 * @example
 * const app = Fastify({ logger: true })
 * await app.register(keelErrors, { typeBaseUri: 'https://errors.example.com' })
 * app.get('/users/:id', async (request) => {
 *   throw httpErrors.notFound('User not found', { code: 'USER_NOT_FOUND' })
 * })
 * @see docs/errors.md
 */
export const keelErrors = fp(plugin, { name: 'fastify-keel-errors', fastify: '5.x' })
export default keelErrors
