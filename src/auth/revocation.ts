// The revocation check `authenticate` runs after a token verified, chosen once at register time by `accessTokens`:
// - stateless: the token is refused when issued before its subject's not-before time (`revokeAll`);
// - session-bound: also when its session (`sid`) has ended: logout, `endSession`, reuse detection, its absolute
//   end. One store lookup either way (`getNotBefore` or `checkSession`), synchronous with MemoryTokenStore.
// A token without `sid` (another issuer sharing the key) has no session to end: the stateless check applies.
import type { GuardedStore } from './store-guard.js'
import type { VerifiedToken } from './token-cache.js'

/** `true`: refuse the token (`TOKEN_REVOKED`); a promise when the store answers asynchronously. */
export type RevocationCheck = (token: VerifiedToken) => boolean | Promise<boolean>

/** Builds the check for `sessionBound` (the `accessTokens` option). */
export function createRevocationCheck(store: GuardedStore, sessionBound: boolean): RevocationCheck {
  if (!sessionBound) {
    return function isRevokedStateless(token) {
      return store.refusesIssuedAt(token.user.sub, token.issuedAt)
    }
  }
  return function isRevokedWithSession(token) {
    if (token.sid === undefined) return store.refusesIssuedAt(token.user.sub, token.issuedAt)
    return store.refusesSession(token.user.sub, token.sid, token.issuedAt, Date.now())
  }
}
