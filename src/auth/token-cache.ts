// The verified-token cache: a token seen before costs one map lookup and an expiry check instead of a signature
// check. Its own, not fast-jwt's: fast-jwt keys its cache by a SHA-256 of the token (hashed on every lookup, most
// of the cost of a hit), a custom key makes it print a process warning, and it also caches failures, so a flood of
// forged tokens would push the valid ones out. Only verified tokens enter this one; the key is the token itself
// (an exact match; keel refuses tokens over 8192 characters), evicted oldest-first past `size` entries.
import type { KeelAuthUser } from './types.js'

/** What keel keeps about a verified access token. */
export interface VerifiedToken {
  /** The verified payload, deep-frozen: every request with the token shares it as `request.user`. */
  readonly user: KeelAuthUser
  /** Issue time in ms: the private `iat_ms` claim, else `iat` in seconds × 1000. Compared with not-before. */
  readonly issuedAt: number
  /** Last ms at which the token is accepted: `exp` × 1000 plus `clockTolerance`. */
  readonly expiresAt: number
  /** The session of the token (its `sid` claim), checked with session-bound access tokens. */
  readonly sid: string | undefined
  /**
   * True for tokens of keel's own keys, which `revokeAll` (the token store) can revoke; false for tokens of an
   * identity provider (`issuers`), whose revocation is the provider's (short `exp`).
   */
  readonly issuedByKeel: boolean
}

/** A bounded cache of verified tokens; `size` 0 keeps nothing. */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, VerifiedToken>()
  readonly #size: number
  // One long-lived iterator finds the oldest entry: `keys().next()` would rescan the deleted slots at the front of
  // the table on every eviction (see MemoryTokenStore).
  #cursor: Iterator<string> | undefined

  constructor(size: number) {
    this.#size = size
  }

  get(token: string): VerifiedToken | undefined {
    return this.#entries.get(token)
  }

  set(token: string, entry: VerifiedToken): void {
    if (this.#size === 0) return
    while (this.#entries.size >= this.#size) this.#evictOldest()
    this.#entries.set(token, entry)
  }

  delete(token: string): void {
    this.#entries.delete(token)
  }

  clear(): void {
    this.#entries.clear()
    this.#cursor = undefined
  }

  #evictOldest(): void {
    let next = this.#cursor?.next()
    if (next === undefined || next.done === true) {
      this.#cursor = this.#entries.keys()
      next = this.#cursor.next()
    }
    if (next.done !== true) this.#entries.delete(next.value)
  }
}
