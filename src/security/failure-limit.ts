// Failed-attempt limits of login-style routes: only responses that count as failures use up the budget.
import type { FastifyReply, FastifyRequest, onSendHookHandler, preHandlerAsyncHookHandler } from 'fastify'
import { clientIpKey } from './client-ip.js'
import type { FailureCount, FailureStore } from './failure-stores.js'
import { rateLimitedError, UNAVAILABLE_RETRY_AFTER, unavailableError } from './rate-limit-errors.js'
import { type HeaderModes, policyHeaders, writeRefusalHeaders } from './rate-limit-headers.js'
import type { ResolvedFailureLimit } from './route-config.js'
import { EXCEEDED } from './verdict.js'

/** The attempt a request took, under Symbol keys decorated on the request by the plugin. */
export const kFailureKey = Symbol('fastify-keel.security.failureKey')
export const kFailureFallback = Symbol('fastify-keel.security.failureFallback')

type AttemptRequest = FastifyRequest & { [kFailureKey]: string | null; [kFailureFallback]: boolean }

// A store error on give-back is already logged (once per interval) by the store; the response goes on.
function ignore(): undefined {
  return undefined
}

/**
 * The two hooks of one failure-limited route. The attempt is taken (counted) in `preHandler`, atomically in the
 * store, so parallel attempts cannot all pass a check that only reads; `onSend` gives it back when the response
 * is not a failure. A refusal's headers describe this limit (policy `limit.name`), not the route's other policies.
 */
export function failureLimitHooks(
  limit: ResolvedFailureLimit,
  store: FailureStore,
  prefix: string,
  modes: HeaderModes,
): { check: preHandlerAsyncHookHandler; settle: onSendHookHandler } {
  const headers = policyHeaders({ name: limit.name, max: limit.max, windowMs: limit.timeWindow })
  const refuse = (reply: FastifyReply, resetMs: number) =>
    writeRefusalHeaders(reply, modes, [{ headers, verdict: { status: EXCEEDED, remaining: 0, resetMs } }])
  const check = async function keelFailureLimitCheck(request: FastifyRequest, reply: FastifyReply) {
    const key =
      prefix + (limit.keyGenerator === undefined ? clientIpKey(request.ip) : await limit.keyGenerator(request))
    let state: FailureCount
    try {
      state = await store.take(key, limit.timeWindow)
    } catch (error) {
      // No fallback (skipOnError: false): the attempt cannot be counted, so it is not let through.
      refuse(reply, UNAVAILABLE_RETRY_AFTER * 1000)
      throw unavailableError([limit.name], error)
    }
    if (state.current > limit.max) {
      // A refused attempt is no failure of its own: give it back, so a burst does not stretch the lockout.
      await store.giveBack(key, state.fallback).catch(ignore)
      throw rateLimitedError(refuse(reply, state.ttl), [limit.name])
    }
    ;(request as AttemptRequest)[kFailureKey] = key
    ;(request as AttemptRequest)[kFailureFallback] = state.fallback
  }
  const settle = async function keelFailureLimitSettle(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    const attempt = request as AttemptRequest
    const key = attempt[kFailureKey]
    if (key !== null) {
      attempt[kFailureKey] = null
      // A failure keeps the attempt it took; anything else gives it back, so successes never lock a user out.
      if (!limit.isFailure(reply.statusCode)) await store.giveBack(key, attempt[kFailureFallback]).catch(ignore)
    }
    return payload
  }
  return { check, settle: settle as onSendHookHandler }
}
