// The optional per-instance cache of revocation checks that the Redis and SQL stores share: subjects' not-before
// times and sessions' states. It saves the round trip `authenticate` makes on every request, at the price of
// other instances seeing a `revokeAll`, a logout or an ended session up to `ttl` ms late (this instance's own
// revocations are seen at once).

/** Bound on cached subjects and sessions, so a flood of distinct ones cannot grow memory. */
const MAX_CACHED = 10_000

interface Cached<T> {
  value: T
  fetchedAt: number
}

/** A revocation cache of at most {@link MAX_CACHED} subjects and sessions; `ttl` 0 caches nothing. */
export class RevocationCache {
  readonly #ttl: number
  readonly #notBefore = new Map<string, Cached<number | undefined>>()
  readonly #sessions = new Map<string, Cached<boolean>>()

  constructor(ttl: number) {
    this.#ttl = ttl
  }

  /** The cached not-before time of `sub`, or `null` when there is none fresh enough (the store must be asked). */
  notBefore(sub: string, now: number): number | undefined | null {
    return this.#fresh(this.#notBefore, sub, now)
  }

  /** Records a not-before answer fetched at `fetchedAt`; a fetch older than a local `revokeAll` never lowers it. */
  rememberNotBefore(sub: string, value: number | undefined, fetchedAt: number): void {
    if (this.#ttl === 0) return
    const cached = this.#notBefore.get(sub)
    if (cached?.value !== undefined && (value === undefined || cached.value > value)) {
      cached.fetchedAt = Math.max(cached.fetchedAt, fetchedAt)
      return
    }
    this.#set(this.#notBefore, sub, { value, fetchedAt })
  }

  /** Whether session `sid` was live when last asked, or `null` when that is not fresh enough. */
  session(sid: string, now: number): boolean | null {
    return this.#fresh(this.#sessions, sid, now)
  }

  /** Records a session state fetched at `fetchedAt`. An ended session stays ended: no later answer revives it. */
  rememberSession(sid: string, live: boolean, fetchedAt: number): void {
    if (this.#ttl === 0) return
    const cached = this.#sessions.get(sid)
    if (cached?.value === false) {
      cached.fetchedAt = Math.max(cached.fetchedAt, fetchedAt)
      return
    }
    this.#set(this.#sessions, sid, { value: live, fetchedAt })
  }

  #fresh<T>(map: Map<string, Cached<T>>, key: string, now: number): T | null {
    if (this.#ttl === 0) return null
    const cached = map.get(key)
    return cached !== undefined && now - cached.fetchedAt < this.#ttl ? cached.value : null
  }

  #set<T>(map: Map<string, Cached<T>>, key: string, entry: Cached<T>): void {
    if (map.size >= MAX_CACHED && !map.has(key)) map.clear()
    map.set(key, entry)
  }
}
