// The rate-limit response headers, in the dialects of the `rateLimit.headers` option:
//   draft-ietf-11  RateLimit-Policy: "burst";q=10;w=1, "hourly";q=1000;w=3600
//                  RateLimit: "burst";r=9;t=1, "hourly";r=999;t=3600
//   legacy         RateLimit-Limit / -Remaining / -Reset of the one policy closest to its limit
// The policy items are serialised once per policy with `structured-headers`; a request only joins them and writes
// two integers per policy after a precomputed `"name";r=` prefix.
import type { FastifyReply } from 'fastify'
import { serializeItem, serializeList } from 'structured-headers'
import type { Batch, Verdict } from './verdict.js'

/** The header dialects to send. */
export interface HeaderModes {
  readonly draft: boolean
  readonly legacy: boolean
}

/** The precomputed header parts of one policy. */
export interface PolicyHeaders {
  readonly name: string
  /** `"burst";q=10;w=1` */
  readonly policyItem: string
  /** `"burst";r=` */
  readonly limitPrefix: string
  /** `RateLimit-Limit` of the legacy dialect. */
  readonly limit: string
}

/** Whole seconds, rounded up, as every delay in these headers is sent. */
export function seconds(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / 1000)
}

/** Serialises the header parts of a policy (at register time). */
export function policyHeaders(policy: { name: string; max: number; windowMs: number }): PolicyHeaders {
  const windowSeconds = Math.max(1, seconds(policy.windowMs))
  return Object.freeze({
    name: policy.name,
    policyItem: serializeList([
      [
        policy.name,
        new Map([
          ['q', policy.max],
          ['w', windowSeconds],
        ]),
      ],
    ]),
    limitPrefix: `${serializeItem(policy.name)};r=`,
    limit: String(policy.max),
  })
}

/** `RateLimit` item of one verdict. */
function limitItem(headers: PolicyHeaders, verdict: Verdict): string {
  return `${headers.limitPrefix}${verdict.remaining};t=${seconds(verdict.resetMs)}`
}

/** Appends `value` to a list header already on the reply (set by an earlier check), or sets it. */
function appendList(reply: FastifyReply, name: string, value: string): void {
  const existing = reply.getHeader(name)
  reply.header(name, typeof existing === 'string' && existing !== '' ? `${existing}, ${value}` : value)
}

function writeLegacy(reply: FastifyReply, headers: PolicyHeaders, verdict: Verdict): void {
  reply.header('ratelimit-limit', headers.limit)
  reply.header('ratelimit-remaining', String(verdict.remaining))
  reply.header('ratelimit-reset', String(seconds(verdict.resetMs)))
}

/**
 * The headers of a request that every policy of `batch` let through, appended to those of an earlier check of the
 * same request (an `onRequest` policy, then a `preHandler` one). `allPolicies` is the precomputed
 * `RateLimit-Policy` value for when every policy of the set applied, `undefined` when some did not.
 */
export function writeServedHeaders(
  reply: FastifyReply,
  modes: HeaderModes,
  batch: Batch,
  allPolicies: string | undefined,
): void {
  const { policies, verdicts, count } = batch
  if (modes.draft) {
    let policy = allPolicies ?? ''
    let limit = ''
    for (let i = 0; i < count; i++) {
      const headers = policies[i]!.headers
      if (allPolicies === undefined) policy = i === 0 ? headers.policyItem : `${policy}, ${headers.policyItem}`
      limit = i === 0 ? limitItem(headers, verdicts[i]!) : `${limit}, ${limitItem(headers, verdicts[i]!)}`
    }
    appendList(reply, 'ratelimit-policy', policy)
    appendList(reply, 'ratelimit', limit)
  }
  if (modes.legacy) {
    let closest = 0
    for (let i = 1; i < count; i++) {
      const v = verdicts[i]!
      const best = verdicts[closest]!
      if (v.remaining < best.remaining || (v.remaining === best.remaining && v.resetMs > best.resetMs)) closest = i
    }
    const earlier = reply.getHeader('ratelimit-remaining')
    if (earlier === undefined || verdicts[closest]!.remaining <= Number(earlier)) {
      writeLegacy(reply, policies[closest]!.headers, verdicts[closest]!)
    }
  }
}

/** One policy that refused a request, and what its store said. */
export interface Refusal {
  readonly headers: PolicyHeaders
  readonly verdict: Verdict
}

/**
 * The headers of a refusal, replacing any an earlier check set: they describe only the policies that refused
 * the request, and `Retry-After` is the longest of their waits (returned, in seconds).
 */
export function writeRefusalHeaders(reply: FastifyReply, modes: HeaderModes, refused: readonly Refusal[]): number {
  let longest = refused[0]!
  for (const refusal of refused) if (refusal.verdict.resetMs > longest.verdict.resetMs) longest = refusal
  const retryAfter = seconds(longest.verdict.resetMs)
  if (modes.draft) {
    reply.header('ratelimit-policy', refused.map((refusal) => refusal.headers.policyItem).join(', '))
    reply.header('ratelimit', refused.map((refusal) => limitItem(refusal.headers, refusal.verdict)).join(', '))
  }
  if (modes.legacy) writeLegacy(reply, longest.headers, longest.verdict)
  reply.header('retry-after', String(retryAfter))
  return retryAfter
}
