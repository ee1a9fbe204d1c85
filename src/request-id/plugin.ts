import type { IncomingMessage } from 'node:http'
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { guardGenerate, guardValidate } from './guards.js'
import { type KeelRequestIdOptions, type ResolvedRequestIdOptions, read, resolveRequestIdOptions } from './options.js'
import type { KeelRequestIdPolicy } from './request-id-policy.js'
import { requestIdStorage } from './storage.js'
import { attachTraceContext, tracingLoggerFactory } from './trace-log.js'

const kRegistered = Symbol.for('fastify-keel.request-id.registered')

function refuseMisuse(app: FastifyInstance): void {
  if (app.initialConfig.requestIdHeader) {
    throw read.misuse(
      'KEEL_ERR_REQUEST_ID_FASTIFY_HEADER_OPTION',
      'the Fastify option "requestIdHeader" is set, so Fastify would copy incoming ids without validation',
      'remove "requestIdHeader" from the Fastify options and set the plugin option "header" instead',
    )
  }
  if (app.hasDecorator(kRegistered as unknown as string)) {
    throw read.misuse(
      'KEEL_ERR_REQUEST_ID_ALREADY_REGISTERED',
      'keelRequestId is already registered in this context',
      'register it once, at the root, first',
    )
  }
}

/** Fastify's own request.id generator, so its `reqId` log binding carries the validated id. */
function idGenerator(config: ResolvedRequestIdOptions, app: FastifyInstance): (req: IncomingMessage) => string {
  const generate = guardGenerate(config.generate, app.log)
  if (!config.trustIncoming) return () => generate()
  const validate = guardValidate(config.validate, app.log)
  const header = config.header
  return function keelGenReqId(req: IncomingMessage): string {
    const incoming = req.headers[header]
    return typeof incoming === 'string' && validate(incoming) ? incoming : generate()
  }
}

const plugin: FastifyPluginAsync<KeelRequestIdOptions> = async (app, opts) => {
  const config = resolveRequestIdOptions(opts)
  refuseMisuse(app)
  app.decorate(kRegistered as unknown as string, true)
  app.decorateRequest('traceContext', null)
  app.decorate('requestIdPolicy', Object.freeze({ header: config.header }) satisfies KeelRequestIdPolicy)
  app.setGenReqId(idGenerator(config, app))
  // Fastify's null logger (`logger: false`) is its own child, and Fastify skips child creation only while the factory
  // is its default: binding traceId there would add a child and a validation per request for nothing.
  if (app.log.child({}) !== app.log) app.setChildLoggerFactory(tracingLoggerFactory(app.childLoggerFactory))

  const header = config.header
  // Callback style on purpose: AsyncLocalStorage#run must wrap the rest of the lifecycle. `enterWith`
  // in an async hook also works over HTTP, but leaks the id into the caller of `app.inject()`.
  app.addHook(
    'onRequest',
    function keelRequestIdOnRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      // Set first, so responses sent by any later hook, 404s and error documents all carry it.
      reply.header(header, request.id)
      const traceparent = request.headers.traceparent
      if (traceparent !== undefined) attachTraceContext(request, reply, traceparent)
      requestIdStorage.run(request.id, done)
    },
  )
}

/**
 * Gives every request a validated id: reuses a valid incoming `x-request-id` (or your `header`), else
 * generates one; sets it as Fastify's `request.id` (so logs carry it as `reqId`), echoes it in the
 * response header of every response, exposes it through `getRequestId()`, and parses W3C
 * `traceparent` into `request.traceContext` (adding `traceId` to every log line of the request).
 * Register it first, before other plugins and routes.
 *
 * @param options `header` (default `'x-request-id'`), `trustIncoming` (default `true`),
 *   `generate` (default `crypto.randomUUID`), `validate` (default 1..128 of `[A-Za-z0-9._:-]`)
 * @example
 * const app = Fastify({ logger: true })
 * await app.register(keelRequestId)
 * await app.register(keelErrors)
 * app.get('/', async (request) => ({ id: request.id, traceId: request.traceContext?.traceId }))
 * @see docs/request-id.md
 */
export const keelRequestId = fp(plugin, { name: 'fastify-keel-request-id', fastify: FASTIFY_VERSIONS })
export default keelRequestId
