// The check of one set of policies (a route's `onRequest` policies, its `preHandler` ones, an app.rateLimitHook()
// hook): keys and costs of the request, one store call for all of them, the headers, the refusal.
//
// Callback style on purpose: with the in-memory store and synchronous key generators (the default) a check costs
// no promise and no closure; a batch object is reused, which is safe because nothing else runs until `done`.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { BlockCache } from './block-cache.js'
import { clientIpKey } from './client-ip.js'
import type { KeelRateLimitKey, ResolvedPolicy } from './policy-options.js'
import type { MemoryPolicyStore } from './policy-store-memory.js'
import type { RedisPolicyStore } from './policy-store-redis.js'
import { rateLimitedError, UNAVAILABLE_RETRY_AFTER, unavailableError } from './rate-limit-errors.js'
import { type HeaderModes, type Refusal, writeRefusalHeaders, writeServedHeaders } from './rate-limit-headers.js'
import { ALLOWED, type Batch, BLOCKED, EXCEEDED, newBatch, type Verdict } from './verdict.js'

/** What every check of one plugin registration shares. */
export interface LimiterEngine {
  /** The store: in memory, or in Redis with a cache of blocked keys. */
  readonly store:
    | { readonly memory: MemoryPolicyStore; readonly redis?: undefined }
    | { readonly redis: RedisPolicyStore; readonly blocks: BlockCache; readonly memory?: undefined }
  readonly modes: HeaderModes
  /** Keys never limited, or a predicate of the request and a policy's key. */
  readonly allowList: ReadonlySet<string> | ((request: FastifyRequest, key: string) => boolean) | undefined
  readonly nameSpace: string
}

/** A rate-limit check as a Fastify hook (`onRequest`, `preHandler`, …). */
export type LimitHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/** A set of policies checked together, with what a request needs precomputed. */
interface PolicySet {
  readonly policies: readonly ResolvedPolicy[]
  /** Store key of policy p and client key k: `keyPrefix + k + keySuffix[p]`, the client key as Redis hash tag. */
  readonly keyPrefix: string
  readonly keySuffix: readonly string[]
  /** `RateLimit-Policy` when every policy applies. */
  readonly allPolicies: string
  readonly engine: LimiterEngine
}

function isThenable(value: unknown): value is PromiseLike<KeelRateLimitKey> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

function costOf(policy: ResolvedPolicy, request: FastifyRequest): number {
  if (typeof policy.cost === 'number') return policy.cost
  const cost = policy.cost(request)
  if (!Number.isSafeInteger(cost) || cost < 0) {
    throw new TypeError(`fastify-keel/security: the cost of policy "${policy.name}" must be an integer >= 0`)
  }
  return cost
}

/** A number key as a string; anything else is a bug in the key generator, which fails the request (no key, no limit). */
function keyString(policy: ResolvedPolicy, raw: unknown): string {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  throw new TypeError(
    `fastify-keel/security: the key generator of policy "${policy.name}" must return a string, a number or undefined`,
  )
}

/** Adds policy `p` to the batch unless the request is left out of it (no key, or an allow-listed one). */
function add(set: PolicySet, batch: Batch, p: number, raw: KeelRateLimitKey, request: FastifyRequest): void {
  if (raw === undefined) return
  const key = typeof raw === 'string' ? raw : keyString(set.policies[p]!, raw)
  const allowList = set.engine.allowList
  if (allowList !== undefined && (typeof allowList === 'function' ? allowList(request, key) : allowList.has(key))) {
    return
  }
  const policy = set.policies[p]!
  const i = batch.count++
  batch.policies[i] = policy
  batch.keys[i] = set.keyPrefix + key + set.keySuffix[p]!
  batch.costs[i] = costOf(policy, request)
}

function keyOf(policy: ResolvedPolicy, request: FastifyRequest): KeelRateLimitKey | PromiseLike<KeelRateLimitKey> {
  return policy.keyGenerator === undefined ? clientIpKey(request.ip) : policy.keyGenerator(request)
}

/** Refusals of the policies whose verdict is not ALLOWED, or `undefined` when every policy let the request through. */
function refusalsOf(batch: Batch): Refusal[] | undefined {
  let refused: Refusal[] | undefined
  for (let i = 0; i < batch.count; i++) {
    const verdict = batch.verdicts[i]!
    if (verdict.status === ALLOWED) continue
    refused ??= []
    refused.push({ headers: batch.policies[i]!.headers, verdict })
  }
  return refused
}

function answer(set: PolicySet, batch: Batch, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const refused = refusalsOf(batch)
  if (refused === undefined) {
    writeServedHeaders(
      reply,
      set.engine.modes,
      batch,
      batch.count === set.policies.length ? set.allPolicies : undefined,
    )
    done()
    return
  }
  const retryAfter = writeRefusalHeaders(reply, set.engine.modes, refused)
  done(
    rateLimitedError(
      retryAfter,
      refused.map((refusal) => refusal.headers.name),
    ),
  )
}

/** Redis failed: policies that fail closed answer 503; the others let the request through uncounted. */
function unavailable(set: PolicySet, batch: Batch, reply: FastifyReply, done: HookHandlerDoneFunction, cause: unknown) {
  const refused: Refusal[] = []
  const verdict: Verdict = { status: EXCEEDED, remaining: 0, resetMs: UNAVAILABLE_RETRY_AFTER * 1000 }
  for (let i = 0; i < batch.count; i++) {
    const policy = batch.policies[i]!
    if (!policy.skipOnError) refused.push({ headers: policy.headers, verdict })
  }
  if (refused.length === 0) {
    done()
    return
  }
  writeRefusalHeaders(reply, set.engine.modes, refused)
  done(
    unavailableError(
      refused.map((refusal) => refusal.headers.name),
      cause,
    ),
  )
}

/** Blocked keys this process already knows of: refused without a Redis round trip. */
function knownBlocks(batch: Batch, blocks: BlockCache, now: number): boolean {
  let blocked = false
  for (let i = 0; i < batch.count; i++) {
    const ms = blocks.remaining(batch.keys[i]!, now)
    const verdict = batch.verdicts[i]!
    verdict.status = ms > 0 ? BLOCKED : ALLOWED
    verdict.remaining = 0
    verdict.resetMs = ms
    if (ms > 0) blocked = true
  }
  return blocked
}

function consume(set: PolicySet, batch: Batch, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (batch.count === 0) {
    done()
    return
  }
  const store = set.engine.store
  if (store.redis === undefined) {
    store.memory.consume(batch, Date.now())
    answer(set, batch, reply, done)
    return
  }
  if (knownBlocks(batch, store.blocks, Date.now())) {
    answer(set, batch, reply, done)
    return
  }
  store.redis.consume(batch).then(
    () => {
      const now = Date.now()
      for (let i = 0; i < batch.count; i++) {
        const verdict = batch.verdicts[i]!
        if (verdict.status === BLOCKED) store.blocks.block(batch.keys[i]!, verdict.resetMs, now)
      }
      answer(set, batch, reply, done)
    },
    (error: unknown) => unavailable(set, batch, reply, done, error),
  )
}

/** The rest of a check whose key generator returned a promise, from policy `from` on. */
async function resolveKeys(
  set: PolicySet,
  batch: Batch,
  request: FastifyRequest,
  from: number,
  pending: PromiseLike<KeelRateLimitKey>,
): Promise<void> {
  add(set, batch, from, await pending, request)
  for (let p = from + 1; p < set.policies.length; p++) {
    add(set, batch, p, await keyOf(set.policies[p]!, request), request)
  }
}

function copyOf(batch: Batch, size: number): Batch {
  const copy = newBatch(size)
  for (let i = 0; i < batch.count; i++) {
    copy.policies[i] = batch.policies[i]!
    copy.keys[i] = batch.keys[i]!
    copy.costs[i] = batch.costs[i]!
  }
  copy.count = batch.count
  return copy
}

/**
 * The hook that checks `policies` together: the request is counted by every policy that applies to it, or by
 * none when one refuses it (429 `RATE_LIMITED`, with the headers of the refusing policies only).
 */
export function limitHook(policies: readonly ResolvedPolicy[], engine: LimiterEngine): LimitHook {
  const size = policies.length
  const set: PolicySet = {
    policies,
    keyPrefix: `${engine.nameSpace}{`,
    keySuffix: policies.map((policy) => `}:${policy.scope}:${policy.name}`),
    allPolicies: policies.map((policy) => policy.headers.policyItem).join(', '),
    engine,
  }
  // Reused by every check that completes synchronously (in-memory store, synchronous keys).
  const scratch = newBatch(size)
  // A Redis check outlives the hook call, so it needs a batch of its own.
  const batchPerRequest = engine.store.redis !== undefined
  return function keelRateLimit(request, reply, done) {
    const batch = batchPerRequest ? newBatch(size) : scratch
    batch.count = 0
    try {
      for (let p = 0; p < size; p++) {
        const raw = keyOf(policies[p]!, request)
        if (isThenable(raw)) {
          const own = batchPerRequest ? batch : copyOf(batch, size)
          resolveKeys(set, own, request, p, raw).then(() => consume(set, own, reply, done), done)
          return
        }
        add(set, batch, p, raw, request)
      }
    } catch (error) {
      done(error as Error)
      return
    }
    consume(set, batch, reply, done)
  }
}
