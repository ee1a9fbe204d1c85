import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import {
  isSafeRequestId,
  isValidRequestId,
  type KeelRequestIdOptions,
  read,
  resolveRequestIdOptions,
} from './options.js'
import { requestIdStorage } from './storage.js'
import { parseTraceparent } from './trace-context.js'

const kRegistered = Symbol.for('fastify-keel.request-id.registered')
/**
 * The response header name, on the instance: the errors plugin reads it to set the header on responses Fastify
 * sends before any hook runs (`frameworkErrors`: bad URLs, over-long params). `Symbol.for`, so it is one key
 * across the ESM and CJS builds and neither plugin imports the other.
 */
const kHeader = Symbol.for('fastify-keel.request-id.header')

const plugin: FastifyPluginAsync<KeelRequestIdOptions> = async (app, opts) => {
  const { header, trustIncoming, generate: userGenerate, validate: userValidate } = resolveRequestIdOptions(opts)
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
  app.decorate(kRegistered as unknown as string, true)
  app.decorate(kHeader as unknown as string, header)
  app.decorateRequest('traceContext', null)

  // A user's generate/validate runs inside Fastify's id generator, where a throw would crash the process and
  // an unsafe id would fail the response with ERR_INVALID_CHAR. The defaults need no guard; a user's does,
  // and a misbehaving one is reported once, not per request.
  const warned = new Set<string>()
  const warnOnce = (code: string, err: unknown, message: string) => {
    if (warned.has(code)) return
    warned.add(code)
    app.log.warn({ code, err }, message)
  }
  const generate =
    userGenerate === randomUUID
      ? randomUUID
      : function keelGenerateRequestId(): string {
          let id: unknown
          try {
            id = userGenerate()
          } catch (error) {
            warnOnce(
              'KEEL_REQUEST_ID_GENERATE_FAILED',
              error,
              'keelRequestId: option "generate" threw; using crypto.randomUUID() instead',
            )
            return randomUUID()
          }
          if (isSafeRequestId(id)) return id
          warnOnce(
            'KEEL_REQUEST_ID_GENERATE_UNSAFE',
            undefined,
            'keelRequestId: option "generate" returned an id that is not 1..1024 visible ASCII characters; using crypto.randomUUID() instead',
          )
          return randomUUID()
        }
  const validate =
    userValidate === isValidRequestId
      ? isValidRequestId
      : function keelValidateRequestId(id: string): boolean {
          try {
            return userValidate(id) === true && isSafeRequestId(id)
          } catch (error) {
            warnOnce(
              'KEEL_REQUEST_ID_VALIDATE_FAILED',
              error,
              'keelRequestId: option "validate" threw; the incoming id is treated as invalid',
            )
            return false
          }
        }

  // Fastify's own request.id, so its `reqId` log binding carries the validated id.
  app.setGenReqId(
    trustIncoming
      ? function keelGenReqId(req: IncomingMessage): string {
          const incoming = req.headers[header]
          return typeof incoming === 'string' && validate(incoming) ? incoming : generate()
        }
      : function keelGenReqId(): string {
          return generate()
        },
  )

  // Callback style on purpose: AsyncLocalStorage#run must wrap the rest of the lifecycle. `enterWith`
  // in an async hook also works over HTTP, but leaks the id into the caller of `app.inject()`.
  app.addHook(
    'onRequest',
    function keelRequestIdOnRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      // Set first, so responses sent by any later hook, 404s and error documents all carry it.
      reply.header(header, request.id)
      const traceparent = request.headers.traceparent
      if (traceparent !== undefined) {
        const traceContext = parseTraceparent(traceparent)
        if (traceContext !== null) {
          request.traceContext = traceContext
          const log = request.log.child({ traceId: traceContext.traceId })
          request.log = log
          reply.log = log
        }
      }
      requestIdStorage.run(request.id, done)
    },
  )
}

/**
 * Gives every request a validated id: reuses a valid incoming `x-request-id` (or your `header`), else
 * generates one; sets it as Fastify's `request.id` (so logs carry it as `reqId`), echoes it in the
 * response header of every response, exposes it through `getRequestId()`, and parses W3C
 * `traceparent` into `request.traceContext` (adding `traceId` to the request's log bindings).
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
