import type { KeelRequestIdPolicy } from './request-id-policy.js'
import type { TraceContext } from './trace-context.js'

export { REQUEST_ID_CONFIG_CODES, type RequestIdConfigCode } from './codes.js'
export { isValidRequestId, type KeelRequestIdOptions } from './options.js'
export { keelRequestId, keelRequestId as default } from './plugin.js'
export type { KeelRequestIdPolicy } from './request-id-policy.js'
export { getRequestId } from './storage.js'
export { parseTraceparent, type TraceContext } from './trace-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The parsed W3C `traceparent` header, or `null` when it is absent or invalid (`keelRequestId`). */
    traceContext: TraceContext | null
  }
  interface FastifyInstance {
    /**
     * The response header keelRequestId sends the id in, for plugins that describe the app: keelOpenApi declares it
     * on every response. Read-only.
     * @see docs/request-id.md#apprequestidpolicy
     */
    readonly requestIdPolicy: KeelRequestIdPolicy
  }
}
