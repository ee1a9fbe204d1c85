// `app.tokens`: issues access tokens and rotating refresh tokens, revokes them. Every store call goes through
// the GuardedStore, so an outage is one 503 TOKEN_STORE_UNAVAILABLE, never a raw error.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { ISSUED_AT_MS_CLAIM, MAX_TOKEN_LENGTH } from './authenticate.js'
import type { KeelAuthErrorFactory } from './errors.js'
import type { KeyRing } from './keys.js'
import type { ResolvedAuthOptions } from './options.js'
import type { GuardedStore } from './store-guard.js'
import type { RotateResult } from './token-store.js'
import type { KeelTokenInput, KeelTokens, TokenPair } from './types.js'

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/
/** Claims fastify-keel owns in every access token; a user payload cannot override them. */
const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'aud', 'iat', 'exp', 'nbf', 'jti', ISSUED_AT_MS_CLAIM])
/** Longest `sub` accepted: user ids, URIs. Stores bound their columns to it. */
export const MAX_SUBJECT_LENGTH = 1024

const FAILED_ROTATION: Readonly<
  Record<Exclude<RotateResult['status'], 'rotated'>, Parameters<KeelAuthErrorFactory>[0]>
> = {
  unknown: 'REFRESH_TOKEN_INVALID',
  expired: 'REFRESH_TOKEN_EXPIRED',
  revoked: 'REFRESH_TOKEN_REVOKED',
  reused: 'REFRESH_TOKEN_REUSED',
}

let lastStamp = 0
/**
 * Wall-clock ms, strictly increasing within the process (sub-ms steps when called twice in one ms), so a token
 * issued right after `revokeAll` is newer than it and one issued right before is older.
 */
function stamp(): number {
  const now = Date.now()
  lastStamp = now > lastStamp ? now : lastStamp + 0.001
  return lastStamp
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

function checkSubject(sub: unknown, where: string): string {
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUBJECT_LENGTH) {
    throw new TypeError(`${where} needs "sub" as a string of 1 to ${MAX_SUBJECT_LENGTH} characters`)
  }
  return sub
}

/** What `app.tokens` is built from. */
export interface TokensParts {
  readonly ring: KeyRing
  readonly store: GuardedStore
  readonly config: ResolvedAuthOptions
  readonly authError: KeelAuthErrorFactory
  readonly log: FastifyBaseLogger
}

/** Builds `app.tokens`. */
export function createTokens(parts: TokensParts): KeelTokens {
  const { ring, store, config, authError, log } = parts
  const accessTtlSeconds = Math.round(config.accessTtlMs / 1000)
  const refreshTtlSeconds = Math.round(config.refreshTtlMs / 1000)
  // Keep a subject's not-before mark while any older token could still be presented.
  const notBeforeTtlMs = Math.max(config.accessTtlMs, config.refreshTtlMs) + config.clockToleranceMs

  function signAccessToken(sub: string, claims: Readonly<Record<string, unknown>>, issuedAt: number): string {
    const payload: Record<string, unknown> = {}
    for (const name in claims) if (!RESERVED_CLAIMS.has(name)) payload[name] = claims[name]
    payload.sub = sub
    const roles = claims.roles
    // A single role stored as a string (a common database shape) becomes a one-item list.
    payload.roles = Array.isArray(roles) ? roles : typeof roles === 'string' ? [roles] : []
    payload.jti = randomUUID()
    payload[ISSUED_AT_MS_CLAIM] = issuedAt
    // fast-jwt derives `iat` and `exp` from this: the same clock as `iat_ms`.
    payload.iat = issuedAt / 1000
    const token = ring.sign(payload)
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new RangeError(
        `app.tokens: the access token would be ${token.length} characters, over the ${MAX_TOKEN_LENGTH} that authenticate accepts; keep claims small`,
      )
    }
    return token
  }

  function pair(accessToken: string, refreshToken: string): TokenPair {
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessTtlSeconds,
      refreshTokenExpiresIn: refreshTtlSeconds,
    }
  }

  return {
    async issue(user: KeelTokenInput): Promise<TokenPair> {
      if (typeof user !== 'object' || user === null) throw new TypeError('app.tokens.issue(user) needs an object')
      const { sub, ...claims } = user as KeelTokenInput & Record<string, unknown>
      checkSubject(sub, 'app.tokens.issue(user)')
      const issuedAt = stamp()
      const accessToken = signAccessToken(sub, claims, issuedAt)
      const refreshToken = randomBytes(32).toString('base64url')
      await store.save(hashRefreshToken(refreshToken), {
        family: randomUUID(),
        sub,
        claims,
        familyIssuedAt: issuedAt,
        expiresAt: Date.now() + config.refreshTtlMs,
      })
      return pair(accessToken, refreshToken)
    },

    async rotate(refreshToken: string): Promise<TokenPair> {
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN.test(refreshToken)) {
        throw authError('REFRESH_TOKEN_INVALID')
      }
      const next = randomBytes(32).toString('base64url')
      const now = Date.now()
      const result = await store.rotate(
        hashRefreshToken(refreshToken),
        hashRefreshToken(next),
        now,
        now + config.refreshTtlMs,
      )
      if (result.status === 'rotated') {
        return pair(signAccessToken(result.record.sub, result.record.claims, stamp()), next)
      }
      // One line per family, by the call that revoked it; the other losers of a race stay quiet.
      if (result.status === 'reused' && result.revokedFamily !== false) {
        log.warn(
          { event: 'keel.auth.refresh_token_reused', sub: result.sub, family: result.family },
          'refresh token reuse detected; its family (session) is revoked',
        )
      }
      throw authError(FAILED_ROTATION[result.status])
    },

    async revoke(refreshToken: string, options?: { sub?: string }): Promise<boolean> {
      const sub =
        options?.sub === undefined ? undefined : checkSubject(options.sub, 'app.tokens.revoke(token, { sub })')
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN.test(refreshToken)) return false
      return store.revokeFamily(hashRefreshToken(refreshToken), sub)
    },

    async revokeAll(sub: string): Promise<void> {
      checkSubject(sub, 'app.tokens.revokeAll(sub)')
      await store.revokeSubject(sub, stamp(), notBeforeTtlMs)
    },

    checkStore(): Promise<void> {
      return store.check()
    },
  }
}
