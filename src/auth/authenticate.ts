// `app.authenticate`: the per-request hot path. A token the cache holds costs one map lookup, one expiry check
// and the revocation check (synchronous with MemoryTokenStore, one store call otherwise; see revocation.ts); a
// new token is verified once by its key's pinned verifier, checked, deep-frozen and cached.

import { TokenError } from 'fast-jwt'
import type { FastifyRequest } from 'fastify'
import type { KeelAuthErrorFactory } from './errors.js'
import type { IssuerVerifier, IssuerVerifiers } from './issuers/verify.js'
import type { KeyRing } from './keys.js'
import type { RevocationCheck } from './revocation.js'
import type { VerifiedToken, VerifiedTokenCache } from './token-cache.js'
import type { KeelAuthHook, KeelAuthUser } from './types.js'

/** Longest access token accepted (keel's own are a few hundred characters). */
export const MAX_TOKEN_LENGTH = 8192
/** Private claim with the issue time in ms (fractional), compared with a subject's not-before time. */
export const ISSUED_AT_MS_CLAIM = 'iat_ms'

/** What `authenticate` is built from. */
export interface AuthenticateParts {
  /** keel's own keys; undefined when keel only verifies the tokens of identity providers (keelResourceServer). */
  readonly ring: KeyRing | undefined
  /** The identity providers of the `issuers` option; undefined without it. */
  readonly issuers: IssuerVerifiers | undefined
  readonly cache: VerifiedTokenCache
  /** The revocation check of keel's own tokens; undefined with no own keys (keelResourceServer). */
  readonly isRevoked: RevocationCheck | undefined
  readonly authError: KeelAuthErrorFactory
  readonly clockToleranceMs: number
}

/** Freezes a decoded JWT payload (plain JSON: objects, arrays, primitives) and everything in it. */
export function deepFreeze(value: object): void {
  Object.freeze(value)
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key]
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) deepFreeze(child)
  }
}

/**
 * What keel keeps of a payload whose signature and registered claims fast-jwt accepted, or undefined when a
 * claim has the wrong type. Tokens from another issuer sharing the key may lack keel's private `iat_ms`: their
 * `iat` (seconds) is the issue time then, and a missing `roles` claim is no roles.
 */
function toVerifiedToken(payload: Record<string, unknown>, clockToleranceMs: number): VerifiedToken | undefined {
  const { sub, jti, iat, exp, roles, sid } = payload
  const issuedAtMs = payload[ISSUED_AT_MS_CLAIM]
  if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string') return undefined
  if (sid !== undefined && typeof sid !== 'string') return undefined
  if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof exp !== 'number') return undefined
  if (issuedAtMs !== undefined && (typeof issuedAtMs !== 'number' || !Number.isFinite(issuedAtMs))) return undefined
  if (roles === undefined) payload.roles = []
  else if (typeof roles === 'string') payload.roles = [roles]
  else if (!Array.isArray(roles)) return undefined
  // The cache hands every request with this token the same object: frozen once, so a handler that mutates
  // `request.user` (`roles.push('admin')`) cannot change what later requests with the token may do.
  deepFreeze(payload)
  return {
    user: payload as unknown as KeelAuthUser,
    issuedAt: issuedAtMs ?? iat * 1000,
    expiresAt: exp * 1000 + clockToleranceMs,
    sid,
    issuedByKeel: true,
  }
}

/** Builds `app.authenticate`. */
export function createAuthenticate(parts: AuthenticateParts): KeelAuthHook {
  const { ring, issuers, cache, isRevoked, authError, clockToleranceMs } = parts

  function verify(token: string): VerifiedToken {
    const verifier = ring?.verifierFor(token)
    if (verifier === undefined) throw authError('TOKEN_INVALID')
    let payload: Record<string, unknown>
    try {
      payload = verifier(token)
    } catch (error) {
      const expired = (error as { code?: unknown } | null)?.code === TokenError.codes.expired
      throw authError(expired ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID')
    }
    const verified = toVerifiedToken(payload, clockToleranceMs)
    if (verified === undefined) throw authError('TOKEN_INVALID')
    cache.set(token, verified)
    return verified
  }

  async function verifyForIssuer(issuer: IssuerVerifier, token: string): Promise<VerifiedToken> {
    const verified = await issuer.verify(token)
    cache.set(token, verified)
    return verified
  }

  return async function keelAuthenticate(request: FastifyRequest): Promise<void> {
    const authorization = request.headers.authorization
    // RFC 6750: `Bearer <token>`, scheme case-insensitive. Any other scheme means no bearer credentials.
    const space = authorization === undefined ? -1 : authorization.indexOf(' ')
    const scheme = space === -1 ? authorization : (authorization as string).slice(0, space)
    if (scheme === undefined || (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer')) {
      throw authError('TOKEN_MISSING')
    }
    const token = space === -1 ? '' : (authorization as string).slice(space + 1).trim()
    if (token === '' || token.length > MAX_TOKEN_LENGTH || token.includes(' ')) throw authError('TOKEN_INVALID')
    let verified = cache.get(token)
    if (verified === undefined) {
      // Whose token is it: a configured identity provider's (by its `iss`), else keel's own keys'.
      const issuer = issuers?.find(token)
      verified = issuer === undefined ? verify(token) : await verifyForIssuer(issuer, token)
    } else if (verified.expiresAt < Date.now()) {
      cache.delete(token)
      throw authError('TOKEN_EXPIRED')
    }
    // Only keel's own tokens are checked against its store (revokeAll, sessions): an identity provider's token may
    // carry a `sid` of the provider's, which no keel session has.
    if (verified.issuedByKeel && isRevoked !== undefined) {
      const revoked = isRevoked(verified)
      if (revoked === true || (revoked !== false && (await revoked))) throw authError('TOKEN_REVOKED')
    }
    request.user = verified.user
  }
}
