// What a store answers for one policy of one request, and the batch of policies a request is checked against.
import type { ResolvedPolicy } from './policy-options.js'

/** The request fits the policy and was counted. */
export const ALLOWED = 0
/** The request does not fit what is left of the quota (nothing was counted). */
export const EXCEEDED = 1
/** The key is blocked (`blockDuration`), now or from this refusal on. */
export const BLOCKED = 2

/** The answer of a store for one policy. */
export interface Verdict {
  status: typeof ALLOWED | typeof EXCEEDED | typeof BLOCKED
  /** Quota units left after this request (0 when blocked). */
  remaining: number
  /** Milliseconds until more quota is available (a refusal: until this request would fit, or the block ends). */
  resetMs: number
}

/**
 * The policies that apply to one request, with each one's store key and cost. The stores count every policy
 * of a batch or none of them, atomically: a request refused by one policy uses up no other policy's quota.
 */
export interface Batch {
  readonly policies: ResolvedPolicy[]
  readonly keys: string[]
  readonly costs: number[]
  readonly verdicts: Verdict[]
  count: number
}

/** A batch with room for `size` policies; reused by the synchronous path, made per request by the others. */
export function newBatch(size: number): Batch {
  return {
    policies: new Array<ResolvedPolicy>(size),
    keys: new Array<string>(size).fill(''),
    costs: new Array<number>(size).fill(0),
    verdicts: Array.from({ length: size }, () => ({ status: ALLOWED, remaining: 0, resetMs: 0 })),
    count: 0,
  }
}

/** Sub-windows of a sliding window: the counted span is between `timeWindow` and 1.1 × `timeWindow` long. */
export const SLIDING_BUCKETS = 10
