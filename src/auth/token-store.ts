/**
 * What a store keeps for one refresh token. The token itself is never stored: the store is keyed by its
 * SHA-256 hash.
 * @see docs/auth.md#writing-a-custom-store
 */
export interface RefreshTokenRecord {
  /** Id of the token family: every token rotated from one login shares it. */
  readonly family: string
  /** Subject (user id) the family belongs to. */
  readonly sub: string
  /** Claims copied into each access token issued from this family (JSON-serialisable). */
  readonly claims: Readonly<Record<string, unknown>>
  /** When the family was created (login), in ms since the epoch, fractional ms allowed. */
  readonly familyIssuedAt: number
  /** When this refresh token stops being accepted, in ms since the epoch. */
  readonly expiresAt: number
}

/** Outcome of {@link TokenStore.rotate}. */
export type RotateResult =
  | {
      /** The old token was active: it is now marked used and the new token is stored in its family. */
      readonly status: 'rotated'
      /** The record of the old token (the new one has the same family, sub, claims and familyIssuedAt). */
      readonly record: RefreshTokenRecord
    }
  | {
      /** The token was already rotated (two parties hold it): the store has revoked its whole family. */
      readonly status: 'reused'
      /** The family of the token, for the reuse log line. */
      readonly family: string
      /** The subject of the family, for the reuse log line. */
      readonly sub: string
      /**
       * `true` when this call revoked the family, `false` when it was revoked already (the other losers of a
       * race, a replay repeated): keel logs the reuse once per family.
       */
      readonly revokedFamily: boolean
    }
  | {
      /**
       * - `unknown`: no such token (never issued, or forgotten after expiry).
       * - `revoked`: the family was revoked, or created before the subject's not-before time.
       * - `expired`: the token is past `expiresAt`.
       */
      readonly status: 'unknown' | 'revoked' | 'expired'
    }

/**
 * Persistence for refresh tokens and per-subject revocation. Every method must be atomic with respect to
 * concurrent calls on the same token (two `rotate` calls with one hash: exactly one returns `rotated`).
 * Implement it to keep tokens in your database; check your implementation with the exported contract suite
 * (`runTokenStoreContract`, exported from `fastify-keel/auth`).
 *
 * @example
 * const store: TokenStore = new RedisTokenStore(redis, { prefix: 'myapp:auth:' })
 * @see docs/auth.md#writing-a-custom-store
 */
export interface TokenStore {
  /** Stores a new token (first of a new family). Expire it at `record.expiresAt` at the latest. */
  save(hash: string, record: RefreshTokenRecord): Promise<void>
  /**
   * Atomically exchanges the token `hash` for `nextHash`, checked at time `now` (ms), in this order:
   * unknown → `unknown`; already used → revoke the family, `reused` (with its family, sub and whether this
   * call revoked it); family revoked or
   * `familyIssuedAt < notBefore(sub)` → `revoked`; `expiresAt <= now` → `expired`; otherwise mark it used,
   * store `nextHash` in the same family expiring at `nextExpiresAt`, and return `rotated`.
   */
  rotate(hash: string, nextHash: string, now: number, nextExpiresAt: number): Promise<RotateResult>
  /**
   * Revokes the family of token `hash` (logout of one session). With `sub`, only when the token belongs to that
   * subject. Resolves `false` when nothing was revoked: the token is unknown, or belongs to another subject.
   */
  revokeFamily(hash: string, sub?: string): Promise<boolean>
  /**
   * Sets the subject's not-before time (ms): refresh families created and access tokens issued before it are
   * rejected. Keep it at least `ttlMs`; never lower an existing later value.
   */
  revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void>
  /**
   * The subject's not-before time (ms), or `undefined`. Called by `authenticate` on every request: answer
   * synchronously from memory when you can; a promise is awaited.
   */
  getNotBefore(sub: string): number | undefined | Promise<number | undefined>
  /**
   * Resolves when the store's backend answers (a Redis `PING`, an SQL `select 1`); rejects otherwise. Used by
   * `app.tokens.checkStore()`. Optional: a store without it counts as available unless its last call failed.
   */
  ping?(): Promise<void>
  /** Releases resources held by the store (not the client passed in). Called on `app.close()` for the default store. */
  close?(): void | Promise<void>
}

const storeMethods = ['save', 'rotate', 'revokeFamily', 'revokeSubject', 'getNotBefore'] as const

/** True when `value` has every method of {@link TokenStore}. */
export function isTokenStore(value: unknown): value is TokenStore {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return storeMethods.every((method) => typeof candidate[method] === 'function')
}
