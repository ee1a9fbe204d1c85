// Signing keel's access tokens: the caller's claims, then the claims keel owns (which a payload cannot override),
// with `exp` capped at the session's end so no access token outlives its session.
import { randomUUID } from 'node:crypto'
import { ISSUED_AT_MS_CLAIM, MAX_TOKEN_LENGTH } from './authenticate.js'
import type { KeyRing } from './keys.js'

/** Claims fastify-keel owns in every access token; a user payload cannot override them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'aud',
  'iat',
  'exp',
  'nbf',
  'jti',
  'sid',
  ISSUED_AT_MS_CLAIM,
])

/** A signed access token and its lifetime in seconds. */
export interface SignedAccessToken {
  readonly token: string
  readonly expiresIn: number
}

/** Signs access tokens valid for `accessTtlMs`, never past the end of their session. */
export function createAccessTokenSigner(ring: KeyRing, accessTtlMs: number) {
  return function signAccessToken(
    sub: string,
    claims: Readonly<Record<string, unknown>>,
    session: { readonly id: string; readonly expiresAt: number },
    issuedAt: number,
  ): SignedAccessToken {
    const payload: Record<string, unknown> = {}
    for (const name in claims) if (!RESERVED_CLAIMS.has(name)) payload[name] = claims[name]
    payload.sub = sub
    const roles = claims.roles
    // A single role stored as a string (a common database shape) becomes a one-item list.
    payload.roles = Array.isArray(roles) ? roles : typeof roles === 'string' ? [roles] : []
    payload.jti = randomUUID()
    payload.sid = session.id
    payload[ISSUED_AT_MS_CLAIM] = issuedAt
    const iat = Math.floor(issuedAt / 1000)
    // fast-jwt writes `iat` as whole seconds of this: the same clock as `iat_ms`.
    payload.iat = issuedAt / 1000
    payload.exp = Math.max(iat, Math.floor(Math.min(issuedAt + accessTtlMs, session.expiresAt) / 1000))
    const token = ring.sign(payload)
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new RangeError(
        `app.tokens: the access token would be ${token.length} characters, over the ${MAX_TOKEN_LENGTH} that authenticate accepts; keep claims small`,
      )
    }
    return { token, expiresIn: (payload.exp as number) - iat }
  }
}
