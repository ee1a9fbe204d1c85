// Policy counters in this process, synchronous: checking a request costs no promise. The counting rules are the
// same as the Redis script's (policy-store-redis.ts), line for line, so both stores answer alike.
//
// fixed:   a window of `windowMs` starts at the first counted request of a key; the request fits while
//          used + cost <= max.
// sliding: time is cut into buckets of windowMs / SLIDING_BUCKETS; a request fits while the units of the current
//          bucket and the SLIDING_BUCKETS before it, plus its cost, are <= max. That span is at least windowMs
//          long, so no windowMs-long interval ever holds more than max units (the fixed window's edge burst of
//          2 × max cannot happen); it costs at most one bucket (a tenth of the window) of quota turnover.
import { ALLOWED, type Batch, BLOCKED, EXCEEDED, SLIDING_BUCKETS, type Verdict } from './verdict.js'

const SLOTS = SLIDING_BUCKETS + 1

interface FixedCounter {
  used: number
  resetAt: number
  blockedUntil: number
}

interface SlidingCounter {
  /** Units per bucket, at `index % SLOTS`, for the buckets `newest - SLIDING_BUCKETS` .. `newest`. */
  readonly slots: number[]
  newest: number
  blockedUntil: number
}

type Counter = FixedCounter | SlidingCounter

/** What the check found, kept until the batch is committed (all policies fit) or not. */
interface Seen {
  counter: Counter
  used: number
  resetAt: number
  bucket: number
}

function isSliding(counter: Counter): counter is SlidingCounter {
  return (counter as SlidingCounter).slots !== undefined
}

/**
 * Milliseconds until `needed` units have left the counted span (buckets leave it oldest first, each
 * `SLOTS` buckets after its own); `added` is the cost counted in the current bucket, or -1 when nothing is.
 */
function slidingResetMs(
  counter: SlidingCounter,
  bucket: number,
  size: number,
  now: number,
  added: number,
  needed: number,
): number {
  let left = 0
  for (let j = bucket - SLIDING_BUCKETS; j <= bucket; j++) {
    if (j >= counter.newest - SLIDING_BUCKETS && j <= counter.newest) left += counter.slots[j % SLOTS]!
    if (j === bucket && added > 0) left += added
    if (left >= needed) return Math.ceil((j + SLOTS) * size - now)
  }
  return 0
}

function block(verdict: Verdict, counter: Counter, blockMs: number, now: number): void {
  counter.blockedUntil = now + blockMs
  verdict.status = BLOCKED
  verdict.remaining = 0
  verdict.resetMs = blockMs
}

/**
 * Counters of every policy in a Map capped at `capacity` keys (the oldest dropped first), so a flood of new keys
 * costs bounded memory.
 */
export class MemoryPolicyStore {
  readonly #counters = new Map<string, Counter>()
  readonly #seen: Seen[] = []

  constructor(private readonly capacity = 100_000) {}

  /** Checks and, when every policy fits, counts the batch; fills `batch.verdicts`. Synchronous. */
  consume(batch: Batch, now: number): void {
    let fits = true
    for (let p = 0; p < batch.count; p++) {
      if (!this.#check(batch, p, now)) fits = false
    }
    for (let p = 0; p < batch.count; p++) {
      const policy = batch.policies[p]!
      const verdict = batch.verdicts[p]!
      const seen = this.#seen[p]!
      if (fits) this.#count(seen, batch.costs[p]!)
      else if (verdict.status === EXCEEDED && policy.blockMs > 0) block(verdict, seen.counter, policy.blockMs, now)
    }
  }

  #counter(key: string, sliding: boolean): Counter {
    const existing = this.#counters.get(key)
    // Two app.rateLimitHook() calls may share a name with different algorithms: the newer one starts afresh.
    if (existing !== undefined && isSliding(existing) === sliding) return existing
    if (existing !== undefined) this.#counters.delete(key)
    if (this.#counters.size >= this.capacity) {
      const oldest = this.#counters.keys().next()
      if (oldest.done !== true) this.#counters.delete(oldest.value)
    }
    const counter: Counter = sliding
      ? { slots: new Array<number>(SLOTS).fill(0), newest: 0, blockedUntil: 0 }
      : { used: 0, resetAt: 0, blockedUntil: 0 }
    this.#counters.set(key, counter)
    return counter
  }

  /** Fills the verdict of policy `p`; true when the request fits it. */
  #check(batch: Batch, p: number, now: number): boolean {
    const policy = batch.policies[p]!
    const cost = batch.costs[p]!
    const verdict = batch.verdicts[p]!
    const counter = this.#counter(batch.keys[p]!, policy.algorithm === 1)
    let seen = this.#seen[p]
    if (seen === undefined) {
      seen = { counter, used: 0, resetAt: 0, bucket: 0 }
      this.#seen[p] = seen
    }
    seen.counter = counter
    if (counter.blockedUntil > now) {
      verdict.status = BLOCKED
      verdict.remaining = 0
      verdict.resetMs = counter.blockedUntil - now
      return false
    }
    if (isSliding(counter)) return this.#checkSliding(counter, seen, policy.max, policy.windowMs, cost, now, verdict)
    const fresh = counter.resetAt <= now
    seen.used = fresh ? 0 : counter.used
    seen.resetAt = fresh ? now + policy.windowMs : counter.resetAt
    const fits = seen.used + cost <= policy.max
    verdict.status = fits ? ALLOWED : EXCEEDED
    verdict.remaining = fits ? policy.max - seen.used - cost : Math.max(0, policy.max - seen.used)
    verdict.resetMs = cost > policy.max ? policy.windowMs : seen.resetAt - now
    return fits
  }

  #checkSliding(
    counter: SlidingCounter,
    seen: Seen,
    max: number,
    windowMs: number,
    cost: number,
    now: number,
    verdict: Verdict,
  ): boolean {
    const size = windowMs / SLIDING_BUCKETS
    // Never behind the newest counted bucket: a clock set back must not write into a newer bucket's slot.
    const bucket = Math.max(Math.floor(now / size), counter.newest)
    let used = 0
    for (let j = bucket - SLIDING_BUCKETS; j <= counter.newest; j++) {
      used += counter.slots[j % SLOTS]!
    }
    seen.used = used
    seen.bucket = bucket
    const fits = used + cost <= max
    verdict.status = fits ? ALLOWED : EXCEEDED
    verdict.remaining = fits ? max - used - cost : Math.max(0, max - used)
    verdict.resetMs = slidingResetMs(counter, bucket, size, now, fits ? cost : -1, fits ? 1 : used + cost - max)
    if (cost > max) verdict.resetMs = windowMs
    return fits
  }

  #count(seen: Seen, cost: number): void {
    const counter = seen.counter
    if (!isSliding(counter)) {
      counter.used = seen.used + cost
      counter.resetAt = seen.resetAt
      return
    }
    const bucket = seen.bucket
    if (bucket - counter.newest >= SLOTS) counter.slots.fill(0)
    else for (let j = counter.newest + 1; j <= bucket; j++) counter.slots[j % SLOTS] = 0
    if (bucket > counter.newest) counter.newest = bucket
    counter.slots[bucket % SLOTS]! += cost
  }
}
