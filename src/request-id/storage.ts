import { AsyncLocalStorage } from 'node:async_hooks'

const kStorage = Symbol.for('fastify-keel.request-id.storage')

/**
 * One store per process, shared by the ESM and CJS builds of fastify-keel, so `getRequestId()` from
 * either build sees ids set by the plugin from the other.
 */
const holder = globalThis as { [kStorage]?: AsyncLocalStorage<string> }
if (holder[kStorage] === undefined) holder[kStorage] = new AsyncLocalStorage<string>()
export const requestIdStorage: AsyncLocalStorage<string> = holder[kStorage]

/**
 * The id of the request whose async call tree is running (from `keelRequestId`), or `undefined`
 * outside a request. Use it in code that has no `request` at hand: repositories, outgoing HTTP calls, jobs.
 *
 * @example
 * await fetch(url, { headers: { 'x-request-id': getRequestId() ?? '' } })
 * @see docs/request-id.md
 */
export function getRequestId(): string | undefined {
  return requestIdStorage.getStore()
}
