// `app.tokens`: starts sessions, rotates their refresh tokens, lists and ends them. Every store call goes through
// the GuardedStore, so an outage is one 503 TOKEN_STORE_UNAVAILABLE, never a raw error.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { createAccessTokenSigner } from './access-token.js'
import type { KeelAuthErrorFactory } from './errors.js'
import { openSuccessor, sealSuccessor } from './grace.js'
import type { KeyRing } from './keys.js'
import type { ResolvedAuthOptions } from './options.js'
import { createRefreshTransport } from './refresh-transport.js'
import { sessionMetadata } from './session-metadata.js'
import type { GuardedStore } from './store-guard.js'
import type { RefreshTokenRecord, RotateResult } from './token-store.js'
import type { KeelIssueOptions, KeelTokenInput, KeelTokens, TokenPair } from './types.js'

const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/
/** Longest `sub` accepted: user ids, URIs. Stores bound their columns to it. */
export const MAX_SUBJECT_LENGTH = 1024
/** Most sessions `app.tokens.sessions` lists. */
export const MAX_LISTED_SESSIONS = 100
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/

const FAILED_ROTATION: Readonly<
  Record<Exclude<RotateResult['status'], 'rotated' | 'graced'>, Parameters<KeelAuthErrorFactory>[0]>
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

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000))

/** What `app.tokens` is built from. */
export interface TokensParts {
  readonly app: FastifyInstance
  readonly ring: KeyRing
  readonly store: GuardedStore
  readonly config: ResolvedAuthOptions
  readonly authError: KeelAuthErrorFactory
  readonly log: FastifyBaseLogger
}

/** Builds `app.tokens`. */
export function createTokens(parts: TokensParts): KeelTokens {
  const { ring, store, config, authError, log } = parts
  const signAccessToken = createAccessTokenSigner(ring, config.accessTtlMs)
  // Keep a subject's not-before mark while any older token could still be presented.
  const notBeforeTtlMs = Math.max(config.accessTtlMs, config.refreshTtlMs) + config.clockToleranceMs

  /** The pair answering a login or a rotation: a fresh access token and `refreshToken`, valid until `expiresAt`. */
  function pair(record: RefreshTokenRecord, refreshToken: string, refreshExpiresAt: number): TokenPair {
    const issuedAt = stamp()
    const session = { id: record.family, expiresAt: record.sessionExpiresAt }
    const access = signAccessToken(record.sub, record.claims, session, issuedAt)
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      refreshTokenExpiresIn: seconds(refreshExpiresAt - issuedAt),
      sessionId: record.family,
      sessionExpiresIn: seconds(record.sessionExpiresAt - issuedAt),
    }
  }

  function failedRotation(result: Exclude<RotateResult, { status: 'rotated' | 'graced' }>): never {
    // One line per family, by the call that revoked it; the other losers of a race stay quiet.
    if (result.status === 'reused' && result.revokedFamily !== false) {
      log.warn(
        { event: 'keel.auth.refresh_token_reused', sub: result.sub, family: result.family },
        'refresh token reuse detected; its family (session) is revoked',
      )
    }
    throw authError(FAILED_ROTATION[result.status])
  }

  return {
    async issue(user: KeelTokenInput, options?: KeelIssueOptions): Promise<TokenPair> {
      if (typeof user !== 'object' || user === null) throw new TypeError('app.tokens.issue(user) needs an object')
      const { sub, ...claims } = user as KeelTokenInput & Record<string, unknown>
      checkSubject(sub, 'app.tokens.issue(user)')
      const metadata = sessionMetadata(options?.metadata)
      const createdAt = stamp()
      const sessionExpiresAt = createdAt + config.sessionMaxAgeMs
      const record: RefreshTokenRecord = {
        family: randomUUID(),
        sub,
        claims,
        familyIssuedAt: createdAt,
        expiresAt: Math.min(createdAt + config.refreshTtlMs, sessionExpiresAt),
        sessionExpiresAt,
        metadata,
      }
      const refreshToken = randomBytes(32).toString('base64url')
      // Signed before the session is saved, so claims too large for a token never create one.
      const first = pair(record, refreshToken, record.expiresAt)
      await store.save(hashRefreshToken(refreshToken), record)
      return first
    },

    async rotate(refreshToken: string | undefined): Promise<TokenPair> {
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN.test(refreshToken)) {
        throw authError('REFRESH_TOKEN_INVALID')
      }
      const hash = hashRefreshToken(refreshToken)
      const next = randomBytes(32).toString('base64url')
      const now = Date.now()
      const grace =
        config.graceWindowMs === 0
          ? undefined
          : { sealedNext: sealSuccessor(refreshToken, hash, next), until: now + config.graceWindowMs }
      const nextExpiresAt = now + config.refreshTtlMs
      const result = await store.rotate({ hash, nextHash: hashRefreshToken(next), now, nextExpiresAt, grace })
      if (result.status === 'rotated') {
        return pair(result.record, next, Math.min(nextExpiresAt, result.record.sessionExpiresAt))
      }
      if (result.status === 'graced') {
        // The winner's successor, opened with the presented token: the same refresh token for every caller.
        const successor = openSuccessor(refreshToken, hash, result.sealedNext)
        if (successor === undefined) throw authError('REFRESH_TOKEN_INVALID')
        return pair(result.record, successor, result.nextExpiresAt)
      }
      return failedRotation(result)
    },

    async revoke(refreshToken: string | undefined, options?: { sub?: string }): Promise<boolean> {
      const sub =
        options?.sub === undefined ? undefined : checkSubject(options.sub, 'app.tokens.revoke(token, { sub })')
      if (typeof refreshToken !== 'string' || !REFRESH_TOKEN.test(refreshToken)) return false
      return store.revokeFamily(hashRefreshToken(refreshToken), sub)
    },

    async revokeAll(sub: string): Promise<void> {
      checkSubject(sub, 'app.tokens.revokeAll(sub)')
      await store.revokeSubject(sub, stamp(), notBeforeTtlMs)
    },

    async sessions(sub: string) {
      checkSubject(sub, 'app.tokens.sessions(sub)')
      return store.listSessions(sub, Date.now(), MAX_LISTED_SESSIONS)
    },

    async endSession(sub: string, sid: string): Promise<boolean> {
      checkSubject(sub, 'app.tokens.endSession(sub, sid)')
      // An id that no store could hold is no session of anyone's: answered without a store call.
      if (typeof sid !== 'string' || !SESSION_ID.test(sid)) return false
      return store.revokeSession(sub, sid, Date.now())
    },

    checkStore(): Promise<void> {
      return store.check()
    },

    ...createRefreshTransport(parts.app, config.refreshTransport, authError),
  }
}
