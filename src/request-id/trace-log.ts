import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseTraceparent, type TraceContext } from './trace-context.js'

// Fastify writes "incoming request" with the logger its child logger factory returns, before any hook runs. So the
// traceparent is parsed there, once: `traceId` joins the request's log bindings from the first line on, and the parsed
// context waits on the raw request for the onRequest hook. A request without a traceparent costs one header read.

/** Per-request state on the raw request: the parsed traceparent, handed from the logger factory to the hook. */
const kTraceContext = Symbol('fastify-keel.request-id.trace-context')

type TracedRaw = IncomingMessage & { [kTraceContext]?: TraceContext }
/** `request.traceContext` is declared by the subpath's augmentation, which this module does not import. */
type TracedRequest = FastifyRequest & { traceContext: TraceContext | null }
type ChildLoggerFactory = FastifyInstance['childLoggerFactory']

/** Wraps the app's child logger factory so a valid traceparent adds `traceId` to every line of the request. */
export function tracingLoggerFactory(parent: ChildLoggerFactory): ChildLoggerFactory {
  return function keelTracingChildLogger(logger, bindings, options, raw) {
    const traceparent = raw.headers.traceparent
    if (traceparent !== undefined) {
      const traceContext = parseTraceparent(traceparent)
      if (traceContext !== null) {
        ;(raw as TracedRaw)[kTraceContext] = traceContext
        ;(bindings as Record<string, unknown>).traceId = traceContext.traceId
      }
    }
    return parent.call(this, logger, bindings, options, raw)
  }
}

/**
 * Sets `request.traceContext` from a traceparent header. When the logger factory did not parse it (no logger, or a
 * factory set after keelRequestId's replaced it), it is parsed here and `traceId` is bound from this point on.
 */
export function attachTraceContext(request: FastifyRequest, reply: FastifyReply, traceparent: unknown): void {
  let traceContext = (request.raw as TracedRaw)[kTraceContext]
  if (traceContext === undefined) {
    const parsed = parseTraceparent(traceparent)
    if (parsed === null) return
    traceContext = parsed
    const log = request.log.child({ traceId: parsed.traceId })
    request.log = log
    reply.log = log
  }
  ;(request as TracedRequest).traceContext = traceContext
}
