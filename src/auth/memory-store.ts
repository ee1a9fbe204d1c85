import { optionsReader } from '../internal/options.js'
import type { RefreshTokenRecord, RotateResult, TokenStore } from './token-store.js'

/** Options of {@link MemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /**
   * Most refresh-token records kept. Past it, the oldest records are dropped, one per new record (their
   * sessions must log in again), so memory and the cost of a save stay bounded.
   * @default 100000
   */
  maxTokens?: number
  /**
   * Most subjects with a not-before time (`revokeAll`) kept. Past it, the oldest mark is dropped and its
   * time becomes a floor for every subject until it would have expired, so dropping a mark never makes a
   * revoked token valid again (it can only reject more of the oldest tokens).
   * @default 100000
   */
  maxSubjects?: number
}

interface FamilyState {
  revoked: boolean
  /** Records of this family held in the store; the family is forgotten when it reaches 0. */
  live: number
}

interface TokenEntry {
  readonly record: RefreshTokenRecord
  readonly family: FamilyState
  used: boolean
}

interface Expiring {
  value: number
  expiresAt: number
}

/**
 * Entries of each map checked for expiry per write: a sweep spread over the writes (each entry is seen
 * once every `size / sweepStep` writes), so expired entries are reclaimed without a timer and without the
 * pause of a full pass (~10 ms at 100 000 entries).
 */
const sweepStep = 4

const read = optionsReader('auth', 'KEEL_ERR_AUTH_INVALID_STORE')

/**
 * The default {@link TokenStore}: refresh tokens and revocations in process memory. Fits one process
 * (tests, a single instance); use {@link RedisTokenStore} or your own store when several instances serve
 * the same users. Every write also checks a few entries for expiry (no timers, no full passes); past
 * `maxTokens` / `maxSubjects` the oldest entries are dropped one by one, so every write costs O(1).
 *
 * @example
 * await app.register(keelAuth, { secret, issuer, audience, store: new MemoryTokenStore({ maxTokens: 10_000 }) })
 * @see docs/auth.md#stores
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, TokenEntry>()
  /**
   * family id → state, kept exactly while the store holds a record of the family. A revoked family is
   * forgotten with its last record too: every token of it is then unknown to the store, and `rotate`
   * answers `unknown` (a 401), so none can be accepted; no call adds a record to a family without
   * rotating a stored, unrevoked token of it (`save` starts a new family).
   */
  readonly #families = new Map<string, FamilyState>()
  readonly #notBefore = new Map<string, Expiring>()
  /** The not-before time of dropped subject marks, applied to every subject until it expires. */
  #notBeforeFloor: Expiring | undefined
  readonly #maxTokens: number
  readonly #maxSubjects: number
  // Eviction walks each map with one long-lived iterator: every key behind it has been evicted, so its next
  // key is the oldest left. `map.keys().next()` would instead rescan the deleted slots at the front of
  // the table on every call (measured: ~270 µs per eviction at 100 000 entries).
  #tokenCursor: Iterator<string> | undefined
  #subjectCursor: Iterator<string> | undefined
  // The sweep walks the maps the same way, from where it stopped on the previous write.
  #tokenSweep: Iterator<[string, TokenEntry]> | undefined
  #subjectSweep: Iterator<[string, Expiring]> | undefined

  constructor(options: MemoryTokenStoreOptions = {}) {
    const o = read.object('MemoryTokenStore', options, ['maxTokens', 'maxSubjects'])
    this.#maxTokens = read.integer('MemoryTokenStore.maxTokens', o.maxTokens, 100_000)
    this.#maxSubjects = read.integer('MemoryTokenStore.maxSubjects', o.maxSubjects, 100_000)
  }

  /** Number of refresh-token records held (used and active), for monitoring and tests. */
  get size(): number {
    return this.#tokens.size
  }

  /** Number of token families held, for monitoring and tests. */
  get familyCount(): number {
    return this.#families.size
  }

  /** Number of subjects with a not-before mark held, for monitoring and tests. */
  get subjectCount(): number {
    return this.#notBefore.size
  }

  async save(hash: string, record: RefreshTokenRecord): Promise<void> {
    this.#put(hash, record)
  }

  async rotate(hash: string, nextHash: string, now: number, nextExpiresAt: number): Promise<RotateResult> {
    // Synchronous from lookup to write: no other call can interleave, so exactly one rotation wins.
    const entry = this.#tokens.get(hash)
    if (entry === undefined) return { status: 'unknown' }
    const { record, family } = entry
    if (entry.used) {
      const revokedFamily = !family.revoked
      family.revoked = true
      return { status: 'reused', family: record.family, sub: record.sub, revokedFamily }
    }
    if (family.revoked || record.familyIssuedAt < (this.#readNotBefore(record.sub, now) ?? -1)) {
      return { status: 'revoked' }
    }
    if (record.expiresAt <= now) return { status: 'expired' }
    entry.used = true
    this.#put(nextHash, { ...record, expiresAt: nextExpiresAt })
    return { status: 'rotated', record }
  }

  async revokeFamily(hash: string, sub?: string): Promise<boolean> {
    const entry = this.#tokens.get(hash)
    if (entry === undefined || (sub !== undefined && entry.record.sub !== sub)) return false
    entry.family.revoked = true
    return true
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    const current = this.#notBefore.get(sub)
    const expiresAt = Date.now() + ttlMs
    // Re-inserted, so the map's order is the order of the latest marks and eviction drops the oldest.
    this.#notBefore.delete(sub)
    this.#notBefore.set(
      sub,
      current === undefined || current.value <= notBefore
        ? { value: notBefore, expiresAt: Math.max(expiresAt, current?.expiresAt ?? expiresAt) }
        : { value: current.value, expiresAt: Math.max(current.expiresAt, expiresAt) },
    )
    while (this.#notBefore.size > this.#maxSubjects) this.#evictOldestSubject()
    this.#sweepSome()
  }

  getNotBefore(sub: string): number | undefined {
    return this.#readNotBefore(sub, Date.now())
  }

  #readNotBefore(sub: string, now: number): number | undefined {
    let value: number | undefined
    const entry = this.#notBefore.get(sub)
    if (entry !== undefined) {
      if (entry.expiresAt <= now) this.#notBefore.delete(sub)
      else value = entry.value
    }
    const floor = this.#notBeforeFloor
    if (floor !== undefined) {
      if (floor.expiresAt <= now) this.#notBeforeFloor = undefined
      else if (value === undefined || floor.value > value) value = floor.value
    }
    return value
  }

  #put(hash: string, record: RefreshTokenRecord): void {
    if (this.#tokens.has(hash)) this.#remove(hash)
    let family = this.#families.get(record.family)
    if (family === undefined) {
      family = { revoked: false, live: 0 }
      this.#families.set(record.family, family)
    }
    family.live++
    this.#tokens.set(hash, { record, family, used: false })
    while (this.#tokens.size > this.#maxTokens) this.#evictOldestToken()
    this.#sweepSome()
  }

  #remove(hash: string): void {
    const entry = this.#tokens.get(hash)
    if (entry === undefined) return
    this.#tokens.delete(hash)
    if (--entry.family.live === 0 && this.#families.get(entry.record.family) === entry.family) {
      this.#families.delete(entry.record.family)
    }
  }

  #evictOldestToken(): void {
    let next = this.#tokenCursor?.next()
    if (next === undefined || next.done === true) {
      this.#tokenCursor = this.#tokens.keys()
      next = this.#tokenCursor.next()
    }
    if (next.done !== true) this.#remove(next.value)
  }

  #evictOldestSubject(): void {
    let next = this.#subjectCursor?.next()
    if (next === undefined || next.done === true) {
      this.#subjectCursor = this.#notBefore.keys()
      next = this.#subjectCursor.next()
    }
    if (next.done === true) return
    const entry = this.#notBefore.get(next.value) as Expiring
    this.#notBefore.delete(next.value)
    if (entry.expiresAt <= Date.now()) return
    // Forgetting the mark must not make its subject's older tokens valid again: keep its time as a floor
    // for everyone. The oldest mark goes first, so the floor only rejects tokens older than it.
    const floor = this.#notBeforeFloor
    this.#notBeforeFloor =
      floor === undefined
        ? { value: entry.value, expiresAt: entry.expiresAt }
        : { value: Math.max(floor.value, entry.value), expiresAt: Math.max(floor.expiresAt, entry.expiresAt) }
  }

  #sweepSome(): void {
    const now = Date.now()
    for (let i = 0; i < sweepStep; i++) {
      let next = this.#tokenSweep?.next()
      if (next === undefined || next.done === true) {
        // Restart at most once per write, so an empty or all-fresh map costs no more than one pass of sweepStep.
        if (i > 0 && this.#tokenSweep !== undefined) break
        this.#tokenSweep = this.#tokens.entries()
        next = this.#tokenSweep.next()
        if (next.done === true) break
      }
      const [hash, entry] = next.value
      if (entry.record.expiresAt <= now) this.#remove(hash)
    }
    for (let i = 0; i < sweepStep; i++) {
      let next = this.#subjectSweep?.next()
      if (next === undefined || next.done === true) {
        if (i > 0 && this.#subjectSweep !== undefined) break
        this.#subjectSweep = this.#notBefore.entries()
        next = this.#subjectSweep.next()
        if (next.done === true) break
      }
      const [sub, entry] = next.value
      if (entry.expiresAt <= now) this.#notBefore.delete(sub)
    }
    if (this.#notBeforeFloor !== undefined && this.#notBeforeFloor.expiresAt <= now) this.#notBeforeFloor = undefined
  }
}
