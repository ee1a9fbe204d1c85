import { KeelConfigError } from '../internal/config-error.js'
import type { RefreshTokenRecord, RotateResult, TokenStore } from './token-store.js'

/** Options of {@link MemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /**
   * Most refresh-token records kept. Past it, expired records are swept and then the oldest are dropped
   * (their sessions must log in again), so memory stays bounded.
   * @default 100000
   */
  maxTokens?: number
}

interface TokenEntry {
  readonly record: RefreshTokenRecord
  used: boolean
}

interface Expiring {
  value: number
  expiresAt: number
}

/** Sweep expired entries after this many writes, so memory is reclaimed without a timer. */
const sweepEvery = 1000

/**
 * The default {@link TokenStore}: refresh tokens and revocations in process memory. Fits one process
 * (tests, a single instance); use {@link RedisTokenStore} or your own store when several instances serve
 * the same users. Expired entries are swept as new tokens are written; no timers.
 *
 * @example
 * await app.register(keelAuth, { secret, issuer, audience, store: new MemoryTokenStore({ maxTokens: 10_000 }) })
 * @see docs/auth.md#store
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, TokenEntry>()
  /** family id → revoked flag with expiry; a family lives as long as its newest token. */
  readonly #families = new Map<string, { revoked: boolean; expiresAt: number }>()
  readonly #notBefore = new Map<string, Expiring>()
  readonly #maxTokens: number
  #writes = 0

  constructor(options: MemoryTokenStoreOptions = {}) {
    const maxTokens = options.maxTokens ?? 100_000
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      throw new KeelConfigError(
        'KEEL_ERR_AUTH_INVALID_STORE',
        `MemoryTokenStore option "maxTokens" must be a positive integer, got ${String(maxTokens)}`,
      )
    }
    this.#maxTokens = maxTokens
  }

  /** Number of refresh-token records held (used and active), for monitoring and tests. */
  get size(): number {
    return this.#tokens.size
  }

  async save(hash: string, record: RefreshTokenRecord): Promise<void> {
    this.#put(hash, record)
  }

  async rotate(hash: string, nextHash: string, now: number, nextExpiresAt: number): Promise<RotateResult> {
    // Synchronous from lookup to write: no other call can interleave, so exactly one rotation wins.
    const entry = this.#tokens.get(hash)
    if (entry === undefined) return { status: 'unknown' }
    const { record } = entry
    const family = this.#families.get(record.family)
    if (entry.used) {
      if (family !== undefined) family.revoked = true
      else this.#families.set(record.family, { revoked: true, expiresAt: record.expiresAt })
      return { status: 'reused' }
    }
    if (family?.revoked === true || record.familyIssuedAt < (this.#readNotBefore(record.sub, now) ?? -1)) {
      return { status: 'revoked' }
    }
    if (record.expiresAt <= now) return { status: 'expired' }
    entry.used = true
    this.#put(nextHash, { ...record, expiresAt: nextExpiresAt })
    return { status: 'rotated', record }
  }

  async revokeFamily(hash: string): Promise<boolean> {
    const entry = this.#tokens.get(hash)
    if (entry === undefined) return false
    const family = this.#families.get(entry.record.family)
    if (family !== undefined) family.revoked = true
    else this.#families.set(entry.record.family, { revoked: true, expiresAt: entry.record.expiresAt })
    return true
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    const current = this.#notBefore.get(sub)
    const expiresAt = Date.now() + ttlMs
    if (current === undefined || current.value <= notBefore) this.#notBefore.set(sub, { value: notBefore, expiresAt })
    else current.expiresAt = Math.max(current.expiresAt, expiresAt)
  }

  getNotBefore(sub: string): number | undefined {
    return this.#readNotBefore(sub, Date.now())
  }

  #readNotBefore(sub: string, now: number): number | undefined {
    const entry = this.#notBefore.get(sub)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#notBefore.delete(sub)
      return undefined
    }
    return entry.value
  }

  #put(hash: string, record: RefreshTokenRecord): void {
    this.#tokens.set(hash, { record, used: false })
    const family = this.#families.get(record.family)
    if (family === undefined) this.#families.set(record.family, { revoked: false, expiresAt: record.expiresAt })
    else family.expiresAt = Math.max(family.expiresAt, record.expiresAt)
    if (++this.#writes >= sweepEvery || this.#tokens.size > this.#maxTokens) this.#sweep()
  }

  #sweep(): void {
    this.#writes = 0
    const now = Date.now()
    for (const [hash, entry] of this.#tokens) if (entry.record.expiresAt <= now) this.#tokens.delete(hash)
    for (const [id, family] of this.#families) if (family.expiresAt <= now) this.#families.delete(id)
    for (const [sub, entry] of this.#notBefore) if (entry.expiresAt <= now) this.#notBefore.delete(sub)
    // Still over the bound: drop the oldest records (Map keeps insertion order).
    let excess = this.#tokens.size - this.#maxTokens
    for (const hash of this.#tokens.keys()) {
      if (excess-- <= 0) break
      this.#tokens.delete(hash)
    }
  }
}
