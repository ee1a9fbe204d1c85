// The one rule for an id that goes into a header and a log line, shared by request-id (incoming and generated ids)
// and errors (the id of a request Node refused before Fastify saw it).
const SAFE_ID = /^[\x21-\x7e]{1,1024}$/

/** Whether an id is safe to write to a header and a log line: 1..1024 visible ASCII characters. */
export function isSafeRequestId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id)
}
