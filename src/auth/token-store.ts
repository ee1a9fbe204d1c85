/**
 * What an app records about the device that started a session (all optional, bounded, never a secret): shown in
 * `app.tokens.sessions(sub)` so a user can recognise and end their sessions.
 * @see docs/auth.md#sessions
 */
export interface KeelSessionMetadata {
  /** The client's `User-Agent` (at most 256 characters are kept). */
  readonly userAgent?: string
  /** The client's IP address as the app sees it, e.g. `request.ip` (at most 64 characters are kept). */
  readonly ip?: string
  /** A device name the user chose, e.g. "Ada's laptop" (at most 64 characters are kept). */
  readonly device?: string
}

/**
 * One session: a login on one device, the family of refresh tokens rotated from it. Times are ms since the epoch.
 * @see docs/auth.md#sessions
 */
export interface KeelSession {
  /** The session id: the `sid` claim of its access tokens, and the refresh-token family id. */
  readonly id: string
  /** When the session started (login). */
  readonly createdAt: number
  /** When it was last refreshed (its login, before the first refresh). */
  readonly lastUsedAt: number
  /** When it ends however often it is refreshed (`sessionMaxAge` after login). */
  readonly expiresAt: number
  /** What the app recorded at login. */
  readonly metadata: KeelSessionMetadata
}

/**
 * What a store keeps for one refresh token and its session. The token itself is never stored: the store is keyed
 * by its SHA-256 hash.
 * @see docs/auth.md#writing-a-custom-store
 */
export interface RefreshTokenRecord {
  /** Id of the token family, which is the session id (`sid`): every token rotated from one login shares it. */
  readonly family: string
  /** Subject (user id) the family belongs to. */
  readonly sub: string
  /** Claims copied into each access token issued from this family (JSON-serialisable). */
  readonly claims: Readonly<Record<string, unknown>>
  /** When the family was created (login), in ms since the epoch, fractional ms allowed. */
  readonly familyIssuedAt: number
  /** When this refresh token stops being accepted, in ms since the epoch; never after `sessionExpiresAt`. */
  readonly expiresAt: number
  /** When the session ends, however often it rotates (`sessionMaxAge` after login), in ms since the epoch. */
  readonly sessionExpiresAt: number
  /** What the app recorded about the session's device. */
  readonly metadata: KeelSessionMetadata
}

/** What {@link TokenStore.rotate} is asked to do. */
export interface RotateRequest {
  /** Hash of the presented refresh token. */
  readonly hash: string
  /** Hash of its successor, stored when the rotation wins. */
  readonly nextHash: string
  /** The time of the request, ms since the epoch: compare every expiry with it. */
  readonly now: number
  /** Expiry of the successor; the store caps it at the session's `sessionExpiresAt`. */
  readonly nextExpiresAt: number
  /**
   * Only with `refreshGraceWindow`: the successor sealed with a key only the presented token yields. Keep it with
   * the presented token until `until`, and answer `graced` with it to a repeat of this rotation before then.
   */
  readonly grace?: { readonly sealedNext: string; readonly until: number }
}

/** Outcome of {@link TokenStore.rotate}. */
export type RotateResult =
  | {
      /** The old token was active: it is now marked used and the new token is stored in its family. */
      readonly status: 'rotated'
      /** The record of the old token (the new one has the same family, sub, claims and session). */
      readonly record: RefreshTokenRecord
    }
  | {
      /**
       * The token was rotated less than `refreshGraceWindow` ago by the same session (two tabs, a retry): the
       * store returns the successor it sealed then, so every caller gets the same new pair; nothing is stored.
       */
      readonly status: 'graced'
      /** The record of the presented token. */
      readonly record: RefreshTokenRecord
      /** `grace.sealedNext` of the rotation that won. */
      readonly sealedNext: string
      /** Expiry of that successor (ms). */
      readonly nextExpiresAt: number
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
       * - `expired`: the token is past `expiresAt`, or its session past `sessionExpiresAt`.
       */
      readonly status: 'unknown' | 'revoked' | 'expired'
    }

/**
 * Persistence for sessions, refresh tokens and per-subject revocation. Every method must be atomic with respect
 * to concurrent calls on the same token (two `rotate` calls with one hash: exactly one returns `rotated`).
 * Implement it to keep tokens in your database; check your implementation with the exported contract suite
 * (`runTokenStoreContract`, exported from `fastify-keel/auth`).
 *
 * A session is *live* while its family is not revoked, its newest refresh token has not expired, `now` is before
 * its `sessionExpiresAt`, and it was created at or after the subject's not-before time.
 *
 * @example
 * const store: TokenStore = new RedisTokenStore(redis, { prefix: 'myapp:auth:' })
 * @see docs/auth.md#writing-a-custom-store
 */
export interface TokenStore {
  /** Stores a new session and its first token. Expire it at `record.expiresAt` at the latest. */
  save(hash: string, record: RefreshTokenRecord): Promise<void>
  /**
   * Atomically exchanges the token `hash` for `nextHash`, checked at `now`, in this order: unknown → `unknown`;
   * already used → `graced` when `now` is before the `grace.until` it was rotated with and its session is live,
   * else revoke the family and answer `reused` (with its family, sub and whether this call revoked it); family
   * revoked or `familyIssuedAt < notBefore(sub)` → `revoked`; `expiresAt <= now` or `sessionExpiresAt <= now`
   * → `expired`; otherwise mark it used (keeping `grace`), store `nextHash` in the same family expiring at
   * `min(nextExpiresAt, sessionExpiresAt)`, set the session's `lastUsedAt` to `now`, and answer `rotated`.
   */
  rotate(request: RotateRequest): Promise<RotateResult>
  /**
   * Revokes the family of token `hash` (logout of one session). With `sub`, only when the token belongs to that
   * subject. Resolves `false` when nothing was revoked: the token is unknown, or belongs to another subject.
   */
  revokeFamily(hash: string, sub?: string): Promise<boolean>
  /**
   * Ends the live session `sid` of `sub` (revokes its family). Resolves `false` when nothing was ended: no such
   * live session, or it belongs to another subject.
   */
  revokeSession(sub: string, sid: string, now: number): Promise<boolean>
  /**
   * The live sessions of `sub` at `now`, most recently used first, at most `limit` of them. Metadata as saved;
   * never a token or a hash.
   */
  listSessions(sub: string, now: number, limit: number): Promise<KeelSession[]>
  /**
   * Sets the subject's not-before time (ms): refresh families created and access tokens issued before it are
   * rejected. Keep it at least `ttlMs`; never lower an existing later value.
   */
  revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void>
  /**
   * The subject's not-before time (ms), or `undefined`. Called by `authenticate` on every request with stateless
   * access tokens: answer synchronously from memory when you can; a promise is awaited.
   */
  getNotBefore(sub: string): number | undefined | Promise<number | undefined>
  /**
   * Whether an access token of session `sid`, issued at `issuedAt` (ms), is still good at `now`: the session is
   * live and `issuedAt` is not before the subject's not-before time. Called by `authenticate` on every request
   * with session-bound access tokens, instead of `getNotBefore`: one lookup, synchronous when you can.
   */
  checkSession(sub: string, sid: string, issuedAt: number, now: number): boolean | Promise<boolean>
  /**
   * Resolves when the store's backend answers (a Redis `PING`, an SQL `select 1`); rejects otherwise. Used by
   * `app.tokens.checkStore()`. Optional: a store without it counts as available unless its last call failed.
   */
  ping?(): Promise<void>
  /** Releases resources held by the store (not the client passed in). Called on `app.close()` for the default store. */
  close?(): void | Promise<void>
}

/** The methods every {@link TokenStore} must have. */
export const TOKEN_STORE_METHODS = [
  'save',
  'rotate',
  'revokeFamily',
  'revokeSession',
  'listSessions',
  'revokeSubject',
  'getNotBefore',
  'checkSession',
] as const

/** True when `value` has every method of {@link TokenStore}. */
export function isTokenStore(value: unknown): value is TokenStore {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return TOKEN_STORE_METHODS.every((method) => typeof candidate[method] === 'function')
}
