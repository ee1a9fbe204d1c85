// The optional per-instance cache of subjects' not-before times that the Redis and SQL stores share: it saves the
// round trip `authenticate` makes on every request, at the price of other instances seeing a `revokeAll` up to
// `ttl` ms late (this instance's own `revokeAll` is seen at once).

/** Bound on cached subjects, so a flood of distinct subjects cannot grow memory. */
const MAX_CACHED_SUBJECTS = 10_000

interface Cached {
  value: number | undefined
  fetchedAt: number
}

/** A not-before cache of at most {@link MAX_CACHED_SUBJECTS} subjects; `ttl` 0 caches nothing. */
export class NotBeforeCache {
  readonly #ttl: number
  readonly #entries = new Map<string, Cached>()

  constructor(ttl: number) {
    this.#ttl = ttl
  }

  /** Whether the cache is on. */
  get enabled(): boolean {
    return this.#ttl > 0
  }

  /** The cached answer for `sub`, or `null` when there is none fresh enough (the store must be asked). */
  get(sub: string, now: number): number | undefined | null {
    if (this.#ttl === 0) return null
    const cached = this.#entries.get(sub)
    return cached !== undefined && now - cached.fetchedAt < this.#ttl ? cached.value : null
  }

  /** Records an answer fetched at `fetchedAt`; a fetch older than a local `revokeAll` never overwrites it. */
  remember(sub: string, value: number | undefined, fetchedAt: number): void {
    if (this.#ttl === 0) return
    if (this.#entries.size >= MAX_CACHED_SUBJECTS) this.#entries.clear()
    const cached = this.#entries.get(sub)
    if (cached?.value !== undefined && (value === undefined || cached.value > value)) {
      cached.fetchedAt = Math.max(cached.fetchedAt, fetchedAt)
      return
    }
    this.#entries.set(sub, { value, fetchedAt })
  }
}
