// Keys that Redis said are blocked (`blockDuration`), remembered in this process until their block ends, so a
// blocked client hammering the app costs no Redis round trip. Capped in size: the oldest entries go first.

/** Blocked keys and when their block ends, in this process's clock. */
export class BlockCache {
  readonly #until = new Map<string, number>()

  constructor(private readonly capacity = 10_000) {}

  /** Milliseconds the key stays blocked, 0 when it is not (an ended block is forgotten). */
  remaining(key: string, now: number): number {
    const until = this.#until.get(key)
    if (until === undefined) return 0
    if (until > now) return until - now
    this.#until.delete(key)
    return 0
  }

  /** Remembers that `key` is blocked for `ms` from `now`. */
  block(key: string, ms: number, now: number): void {
    if (!this.#until.has(key) && this.#until.size >= this.capacity) {
      const oldest = this.#until.keys().next()
      if (oldest.done !== true) this.#until.delete(oldest.value)
    }
    this.#until.set(key, now + ms)
  }
}
