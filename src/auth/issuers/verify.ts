// Verifying an identity provider's access token: the token's `iss` picks the configured issuer (a token naming no
// configured issuer is never fetched for), then jose's `jwtVerify` checks it with that issuer's rules only: its
// algorithm allowlist (before any key is looked up, so `alg: none` and HS256 fail there), the key its JWK Set holds
// for the token (see remote-keys.ts), `iss` exactly, `aud` against the accepted list, `exp`/`nbf` with
// `clockTolerance`, `typ` when configured, and `crit` (refused: keel understands no extension). keel adds what jose
// leaves open: `exp` and `iat` are required, an `iat` in the future is refused, and a header that carries or points at
// a key (`jwk`, `jku`, `x5u`, `x5c`) is refused outright; keys come from the configuration only.
import type { FastifyBaseLogger } from 'fastify'
import type { decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { deepFreeze } from '../authenticate.js'
import type { KeelAuthErrorFactory } from '../errors.js'
import type { VerifiedToken } from '../token-cache.js'
import type { KeelAuthUser } from '../types.js'
import type { ResolvedIssuer } from './options.js'
import { type JoseKeys, KeysUnavailableError, RemoteKeys } from './remote-keys.js'

/** The part of jose keel uses, loaded at register time (an optional peer dependency). */
export interface Jose extends JoseKeys {
  readonly jwtVerify: typeof jwtVerify
  readonly decodeProtectedHeader: typeof decodeProtectedHeader
  readonly errors: JoseKeys['errors'] & Pick<typeof errors, 'JWTExpired'>
}

/** One configured identity provider. */
export interface IssuerVerifier {
  /** Verifies a token that names this issuer; rejects with the auth `HttpError` to send (401, or 503). */
  verify(token: string): Promise<VerifiedToken>
}

/** The configured identity providers of one registration. */
export interface IssuerVerifiers {
  /** The configured issuer a token names in its `iss` claim, or undefined (then it is not one of theirs). */
  find(token: string): IssuerVerifier | undefined
  /** Resolves when every issuer has usable keys (fetching them if needed); for readiness checks. */
  check(): Promise<void>
  /** Stops fetches in flight (the app closes). */
  close(): void
}

/** What the verifiers are built from. */
export interface IssuerVerifierParts {
  readonly issuers: readonly ResolvedIssuer[]
  readonly jose: Jose
  readonly authError: KeelAuthErrorFactory
  readonly clockToleranceMs: number
  readonly log: FastifyBaseLogger
  /** Called when a refresh removed a key: tokens it verified must not stay cached. */
  readonly onKeysRemoved: () => void
}

/** Header members that carry or locate a key: a resource server takes keys from its configuration only. */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const

/** The `iss` of a token's payload without verifying anything, or undefined. Only picks which rules apply. */
function claimedIssuer(token: string): string | undefined {
  const start = token.indexOf('.') + 1
  const end = token.indexOf('.', start)
  if (start === 0 || end === -1) return undefined
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.slice(start, end), 'base64url').toString('utf8'))
    const iss = typeof payload === 'object' && payload !== null ? (payload as { iss?: unknown }).iss : undefined
    return typeof iss === 'string' ? iss : undefined
  } catch {
    return undefined
  }
}

/** Whether a token's audience claim (a string or a list of strings) names one of the accepted audiences. */
function hasAudience(value: unknown, accepted: readonly string[]): boolean {
  if (typeof value === 'string') return accepted.includes(value)
  return Array.isArray(value) && value.some((item) => typeof item === 'string' && accepted.includes(item))
}

function createVerifier(issuer: ResolvedIssuer, keys: RemoteKeys, parts: IssuerVerifierParts): IssuerVerifier {
  const { jose, authError, clockToleranceMs } = parts
  const toleranceSeconds = clockToleranceMs / 1000
  const ownAudienceClaim = issuer.audienceClaim === 'aud' ? undefined : issuer.audienceClaim
  const options = Object.freeze({
    issuer: issuer.issuer,
    ...(ownAudienceClaim === undefined ? { audience: [...issuer.audience] } : {}),
    algorithms: [...issuer.algorithms],
    clockTolerance: toleranceSeconds,
    requiredClaims: ['exp', 'iat'],
    ...(issuer.typ === undefined ? {} : { typ: issuer.typ }),
  })

  async function verify(token: string): Promise<VerifiedToken> {
    let header: Record<string, unknown>
    try {
      header = jose.decodeProtectedHeader(token)
    } catch {
      throw authError('TOKEN_INVALID')
    }
    for (const name of KEY_HEADERS) if (Object.hasOwn(header, name)) throw authError('TOKEN_INVALID')
    let payload: Record<string, unknown>
    try {
      payload = (await jose.jwtVerify(token, keys.getKey, options)).payload as Record<string, unknown>
    } catch (error) {
      if (error instanceof KeysUnavailableError) throw authError('TOKEN_KEYS_UNAVAILABLE', undefined, { cause: error })
      throw authError(error instanceof jose.errors.JWTExpired ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID')
    }
    const { iat, exp } = payload as { iat: number; exp: number }
    if (iat > Date.now() / 1000 + toleranceSeconds) throw authError('TOKEN_INVALID')
    const audience = ownAudienceClaim === undefined ? payload.aud : payload[ownAudienceClaim]
    if (ownAudienceClaim !== undefined && !hasAudience(audience, issuer.audience)) throw authError('TOKEN_INVALID')
    // Frozen before a claim reader of the user's sees it; the cache hands it to every request with this token.
    deepFreeze(payload)
    let mapped: ReturnType<ResolvedIssuer['mapClaims']>
    try {
      mapped = issuer.mapClaims(payload)
    } catch (error) {
      throw authError('TOKEN_INVALID', undefined, { cause: error })
    }
    if (mapped === undefined) throw authError('TOKEN_INVALID')
    const user = { ...payload, aud: audience, ...mapped }
    deepFreeze(user)
    return {
      user: user as unknown as KeelAuthUser,
      issuedAt: iat * 1000,
      expiresAt: exp * 1000 + clockToleranceMs,
      // The provider's `sid` (Keycloak sends one) names no keel session; keel's session check never sees it.
      sid: undefined,
      issuedByKeel: false,
    }
  }

  return { verify }
}

/** Builds the verifiers of the `issuers` option. */
export function createIssuerVerifiers(parts: IssuerVerifierParts): IssuerVerifiers {
  const closing = new AbortController()
  const byIssuer = new Map<string, IssuerVerifier>()
  const keySets: RemoteKeys[] = []
  for (const issuer of parts.issuers) {
    const keys = new RemoteKeys(issuer, parts.jose, parts.log, closing.signal, parts.onKeysRemoved)
    keySets.push(keys)
    byIssuer.set(issuer.issuer, createVerifier(issuer, keys, parts))
  }
  return {
    find(token) {
      const iss = claimedIssuer(token)
      return iss === undefined ? undefined : byIssuer.get(iss)
    },
    async check() {
      await Promise.all(keySets.map((keys) => keys.check()))
    },
    close() {
      closing.abort(new Error('the app is closing'))
    },
  }
}
