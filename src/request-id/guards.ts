import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { isSafeRequestId, isValidRequestId } from './options.js'

// A user's generate/validate runs inside Fastify's id generator, where a throw would crash the process and an unsafe
// id would fail the response with ERR_INVALID_CHAR. The defaults need no guard; a user's does, and a misbehaving one
// is reported once, not per request.

function onceLogger(log: FastifyBaseLogger): (code: string, err: unknown, message: string) => void {
  const warned = new Set<string>()
  return (code, err, message) => {
    if (warned.has(code)) return
    warned.add(code)
    log.warn({ code, err }, message)
  }
}

/** `generate`, or a wrapper that falls back to `crypto.randomUUID()` when a user's one throws or returns an unsafe id. */
export function guardGenerate(generate: () => string, log: FastifyBaseLogger): () => string {
  if (generate === randomUUID) return randomUUID
  const warnOnce = onceLogger(log)
  return function keelGenerateRequestId(): string {
    let id: unknown
    try {
      id = generate()
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
}

/** `validate`, or a wrapper under which a throw refuses the id and an accepted id must still be safe. */
export function guardValidate(validate: (id: string) => boolean, log: FastifyBaseLogger): (id: string) => boolean {
  if (validate === isValidRequestId) return isValidRequestId
  const warnOnce = onceLogger(log)
  return function keelValidateRequestId(id: string): boolean {
    try {
      return validate(id) === true && isSafeRequestId(id)
    } catch (error) {
      warnOnce(
        'KEEL_REQUEST_ID_VALIDATE_FAILED',
        error,
        'keelRequestId: option "validate" threw; the incoming id is treated as invalid',
      )
      return false
    }
  }
}
