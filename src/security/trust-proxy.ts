// Rate limits key on `request.ip`, which is the client's address only when Fastify's `trustProxy` trusts the
// proxy in front. Three mistakes make every client behind the proxy share one budget; each is logged once:
// - `trustProxy` off while requests carry x-forwarded-for;
// - a hop count (a number, or a `(address, hop) => hop < n` function): a client that reaches the app directly
//   picks its own IP, and Fastify 5.12.8 made a number trust nothing at all;
// - x-forwarded-for from a peer that `trustProxy` does not trust (where that number ends up).
// Fastify gives plugins no way to read `trustProxy`, so the checks run on the first requests, not at boot.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'

// The peer and the chain are documentation addresses (RFC 5737): a trust list of real proxies never holds them.
const standInPeer = '203.0.113.10'
const standInChain = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`).join(', ')

/**
 * Whether the app's `trustProxy` counts hops: it trusts a documentation address as a proxy, yet not a long chain
 * of them. Evaluates Fastify's own `request.ips` getter against a stand-in request, once.
 */
function countsHops(request: FastifyRequest): boolean {
  const standIn = { raw: { socket: { remoteAddress: standInPeer }, headers: { 'x-forwarded-for': standInChain } } }
  const ips: unknown = Reflect.get(Object.getPrototypeOf(request) as object, 'ips', standIn)
  return Array.isArray(ips) && ips.length > 1 && ips.length <= 100
}

const docs = 'set trustProxy to the addresses or CIDRs of your proxies (see docs/security.md#behind-a-proxy)'

/**
 * A check to call on requests until it returns `false` (nothing left to check). Built once per app; each call
 * does nothing more than read one header until a request with x-forwarded-for arrives.
 */
export function trustProxyCheck(log: FastifyBaseLogger): (request: FastifyRequest) => boolean {
  let hopsChecked = false
  return function keelTrustProxyCheck(request) {
    if (!hopsChecked) {
      hopsChecked = true
      if (countsHops(request)) {
        log.warn(
          { code: 'KEEL_SECURITY_TRUST_PROXY_HOP_COUNT' },
          `fastify-keel/security: trustProxy counts hops, so a client that reaches the app directly chooses its own IP; ${docs}`,
        )
      }
    }
    const forwarded = request.headers['x-forwarded-for']
    if (forwarded === undefined || forwarded === '') return true
    const ips = request.ips
    if (ips === undefined) {
      log.warn(
        { code: 'KEEL_SECURITY_TRUST_PROXY_OFF' },
        `fastify-keel/security: requests carry x-forwarded-for but trustProxy is off, so rate limits key on the proxy address; ${docs}`,
      )
    } else if (ips.length === 1) {
      log.warn(
        { code: 'KEEL_SECURITY_TRUST_PROXY_UNTRUSTED', peer: ips[0] },
        `fastify-keel/security: x-forwarded-for came from a peer that trustProxy does not trust (a number trusts none since Fastify 5.12.8), so rate limits key on that address; ${docs}`,
      )
    }
    return false
  }
}
