// The key ring: one fast-jwt signer for the current key and one verifier per key, each built once at register
// time with its key parsed and `algorithms: [its own algorithm]`, so a token can only ever be checked with the
// algorithm its key is pinned to (no HS256 token "signed" with an RSA public key, no `alg: none`).
//
// fast-jwt is used directly, not through @fastify/jwt: @fastify/jwt's multi-key support is `secret` as a
// function, which it documents for `request.jwtVerify()` only (decorators on the app that clash with an app's
// own @fastify/jwt), and a key function sends every verification through fast-jwt's asynchronous key path,
// which parses the PEM key again each time (an RS256 check took 4 times as long). See docs/auth.md.
import { createSigner, createVerifier } from 'fast-jwt'
import type { ResolvedKey } from './key-material.js'

/** Claims every access token must carry; `iss` and `aud` must also equal the configured values. */
export const REQUIRED_CLAIMS: readonly string[] = Object.freeze(['iss', 'aud', 'sub', 'iat', 'exp', 'jti'])

/** Header segments longer than this are refused before they are decoded (keel's own are ~60 characters). */
const MAX_HEADER_SEGMENT = 512
/** The `typ` keel writes: an RFC 9068 access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt'
/**
 * `typ` values accepted (lowercase): RFC 9068's, and during the transition the generic `JWT` of keel's older
 * tokens and of other issuers sharing the key (also no `typ` at all). Any other type is another kind of token.
 */
const ACCEPTED_TYPES: ReadonlySet<string> = new Set(['at+jwt', 'application/at+jwt', 'jwt'])

/** What the key ring needs to know about the tokens it signs and accepts. */
export interface KeyRingOptions {
  readonly keys: ReadonlyMap<string, ResolvedKey>
  readonly current: ResolvedKey
  readonly issuer: string
  readonly audience: string
  readonly clockToleranceMs: number
}

/** Verifies one token with one key; throws fast-jwt's `TokenError` when the token is not valid. */
export type TokenVerifier = (token: string) => Record<string, unknown>

/** The signing key and the verification keys of one `keelAuth` registration. */
export interface KeyRing {
  /** Signs an access token with the current key (`alg`, `typ`, `kid`, `iss`, `aud` are set here; `exp` given). */
  sign(payload: Record<string, unknown>): string
  /**
   * The verifier for a token, by its header: tokens keel signed are recognised by their header segment without
   * decoding it; another header is decoded and its `kid` looked up, and a header without `kid` gets the only key
   * when exactly one is configured (RFC 7515 makes `kid` optional). Undefined: no key can verify it.
   */
  verifierFor(token: string): TokenVerifier | undefined
  /** The public keys as a JWK Set (asymmetric keys only). */
  readonly jwks: { readonly keys: ReadonlyArray<Readonly<Record<string, unknown>>> }
}

function headerSegment(key: ResolvedKey, typ: string): string {
  return Buffer.from(JSON.stringify({ alg: key.algorithm, typ, kid: key.kid })).toString('base64url')
}

/** The `kid` of a header of an accepted type, or undefined when the header is not one. */
function headerKid(segment: string): { kid: unknown } | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined
    const { kid, typ } = header as { kid?: unknown; typ?: unknown }
    if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase()))) return undefined
    return { kid }
  } catch {
    return undefined
  }
}

/** Builds the signer and the verifiers once; see {@link KeyRing}. */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { keys, current, issuer, audience } = options
  const byKid = new Map<string, TokenVerifier>()
  const bySegment = new Map<string, TokenVerifier>()
  for (const key of keys.values()) {
    const verifier: TokenVerifier = createVerifier({
      key: key.verifyKey,
      algorithms: [key.algorithm],
      allowedIss: issuer,
      allowedAud: audience,
      requiredClaims: [...REQUIRED_CLAIMS],
      clockTolerance: options.clockToleranceMs,
      // keel keeps its own cache of verified tokens in front of this (see token-cache.ts).
      cache: false,
    })
    byKid.set(key.kid, verifier)
    bySegment.set(headerSegment(key, ACCESS_TOKEN_TYPE), verifier)
    // keel's tokens from before the switch to at+jwt, until they expire.
    bySegment.set(headerSegment(key, 'JWT'), verifier)
  }
  const only = keys.size === 1 ? byKid.get(current.kid) : undefined
  const signer = createSigner<Record<string, unknown>>({
    key: current.signKey as string,
    algorithm: current.algorithm,
    kid: current.kid,
    // Replaces fast-jwt's default `typ: 'JWT'` in place, so the header keeps the order alg, typ, kid.
    header: { alg: current.algorithm, typ: ACCESS_TOKEN_TYPE },
    iss: issuer,
    aud: audience,
  })
  return {
    sign: signer,
    verifierFor(token) {
      const dot = token.indexOf('.')
      if (dot <= 0 || dot > MAX_HEADER_SEGMENT) return undefined
      const segment = token.slice(0, dot)
      const known = bySegment.get(segment)
      if (known !== undefined) return known
      const header = headerKid(segment)
      if (header === undefined) return undefined
      if (header.kid === undefined) return only
      return typeof header.kid === 'string' ? byKid.get(header.kid) : undefined
    },
    jwks: Object.freeze({
      keys: Object.freeze([...keys.values()].flatMap((key) => (key.jwk === undefined ? [] : [key.jwk]))),
    }),
  }
}
