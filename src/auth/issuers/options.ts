// The `issuers` option: the identity providers whose access tokens keel verifies (and never issues). Validated
// once at register time into frozen settings; every URL keel will fetch is checked here (HTTPS, or plain HTTP to a
// loopback address for tests), so nothing at run time can make keel fetch from a host the configuration did not name.
import type { OptionsReader } from '../../internal/options.js'
import { compileClaimMapping, type KeelClaimMapping, type MapClaims } from './claims.js'

/** Signature algorithms an identity provider's tokens may use (asymmetric only: a JWKS holds public keys). */
export type KeelIssuerAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'

/**
 * One identity provider whose access tokens keel accepts. Its keys come from its JWKS (`jwksUri`, or the `jwks_uri`
 * of its OpenID discovery document with `discovery: true`).
 * @see docs/auth.md#verifying-tokens-from-an-identity-provider
 */
export interface KeelIssuerOptions {
  /** The exact `iss` of its tokens, e.g. `https://example.eu.auth0.com/` (trailing slash and all). */
  issuer: string
  /** URL of its JWK Set (HTTPS; plain HTTP only to a loopback address). Give this or `discovery`. */
  jwksUri?: string
  /**
   * Find the JWK Set through `<issuer>/.well-known/openid-configuration`, whose `issuer` must equal `issuer`.
   * @default false
   */
  discovery?: boolean
  /** Accepted audience(s): the token's `aud` (a string or a list) must contain one of them. Required. */
  audience: string | string[]
  /**
   * The claim that holds the audience, for providers whose access tokens have none in `aud`: `'client_id'` for
   * Amazon Cognito. Required in every token; `request.user.aud` is its value.
   * @default 'aud'
   */
  audienceClaim?: string
  /** The only algorithms accepted, whatever a token's header says, e.g. `['RS256']`. Required. */
  algorithms: KeelIssuerAlgorithm[]
  /**
   * Required `typ` header, e.g. `'at+jwt'` (RFC 9068), so an ID token cannot pass as an access token.
   * @default undefined (not checked)
   */
  typ?: string
  /** Where `request.user.sub`, `roles` and `permissions` come from. @default { subject: 'sub', roles: 'roles', permissions: 'permissions' } */
  claims?: KeelClaimMapping
  /**
   * Shortest time keys are kept before they are fetched again, whatever the JWKS response's `Cache-Control` says.
   * @default '5m'
   */
  minCacheTtl?: string | number
  /**
   * Longest time keys are kept: a `Cache-Control` `max-age` above it is cut to it, and when the JWK Set cannot be
   * fetched, the last keys keep working until this long after they were fetched (then 503 `TOKEN_KEYS_UNAVAILABLE`).
   * @default '1d'
   */
  maxCacheTtl?: string | number
  /**
   * Least time between two fetches of the JWK Set (a token with an unknown `kid` triggers one, at most once per
   * cooldown, so a flood of made-up `kid`s costs one fetch).
   * @default '30s'
   */
  refreshCooldown?: string | number
  /** Longest wait for the JWK Set (or the discovery document). @default '5s' */
  fetchTimeout?: string | number
  /** Largest JWK Set (or discovery document) accepted, in bytes. @default 131072 (128 KiB) */
  maxJwksBytes?: number
}

/** One identity provider after validation. */
export interface ResolvedIssuer {
  readonly issuer: string
  /** Where its keys are: the JWKS itself, or the discovery document that names it. */
  readonly keysFrom: { readonly kind: 'jwks' | 'discovery'; readonly url: string }
  readonly audience: readonly string[]
  readonly audienceClaim: string
  readonly algorithms: readonly KeelIssuerAlgorithm[]
  readonly typ: string | undefined
  readonly mapClaims: MapClaims
  readonly minCacheTtlMs: number
  readonly maxCacheTtlMs: number
  readonly cooldownMs: number
  readonly fetchTimeoutMs: number
  readonly maxJwksBytes: number
}

export const ISSUER_ALGORITHMS: readonly KeelIssuerAlgorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
])
const FIELDS = [
  'issuer',
  'jwksUri',
  'discovery',
  'audience',
  'audienceClaim',
  'algorithms',
  'typ',
  'claims',
  'minCacheTtl',
  'maxCacheTtl',
  'refreshCooldown',
  'fetchTimeout',
  'maxJwksBytes',
]
const CODE = 'KEEL_ERR_AUTH_INVALID_ISSUERS' as const
const MAX_ISSUERS = 20
/** A `typ` header value: a media type without parameters. */
const CLAIM_NAME = /^[A-Za-z0-9_:.-]{1,64}$/
const TYP = /^[A-Za-z0-9!#$&^_.+-]{1,64}(?:\/[A-Za-z0-9!#$&^_.+-]{1,64})?$/

/** Whether keel may fetch from this URL: HTTPS, or plain HTTP to a loopback address (tests, a local IdP). */
export function isFetchableUrl(url: URL): boolean {
  if (url.username !== '' || url.password !== '') return false
  if (url.protocol === 'https:') return true
  const host = url.hostname
  return url.protocol === 'http:' && (host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host))
}

/** The discovery document of an issuer (OpenID Connect Discovery 1.0 §4: one trailing slash removed, then the path). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`
}

function fetchable(read: OptionsReader, path: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw read.error(path, 'is not a URL', value, 'pass an absolute https:// URL', { code: CODE })
  }
  if (!isFetchableUrl(url)) {
    throw read.error(
      path,
      'must be an https:// URL without credentials (plain http:// only to 127.0.0.1, localhost or [::1])',
      value,
      'use the https:// URL of the identity provider',
      { code: CODE },
    )
  }
  return url.href
}

function resolveIssuer(read: OptionsReader, raw: unknown, path: string): ResolvedIssuer {
  const invalid = { code: CODE }
  const o = read.object(path, raw, FIELDS, {
    ...invalid,
    fix: 'pass { issuer, jwksUri | discovery, audience, algorithms }',
  })
  for (const field of ['issuer', 'audience', 'algorithms']) {
    if (o[field] === undefined) throw read.error(`${path}.${field}`, 'is required', undefined, 'set it', invalid)
  }
  const issuer = read.string(`${path}.issuer`, o.issuer, '', invalid)
  const discovery = read.boolean(`${path}.discovery`, o.discovery, false, invalid)
  if ((o.jwksUri === undefined) === !discovery) {
    throw read.error(
      path,
      discovery ? 'has both "jwksUri" and "discovery"' : 'has neither "jwksUri" nor "discovery: true"',
      'an object',
      'give one: jwksUri, or discovery: true',
      invalid,
    )
  }
  const keysFrom = discovery
    ? { kind: 'discovery' as const, url: fetchable(read, `${path}.issuer`, discoveryUrl(issuer)) }
    : {
        kind: 'jwks' as const,
        url: fetchable(read, `${path}.jwksUri`, read.string(`${path}.jwksUri`, o.jwksUri, '', invalid)),
      }
  const audience =
    typeof o.audience === 'string'
      ? [read.string(`${path}.audience`, o.audience, '', invalid)]
      : read.stringList(`${path}.audience`, o.audience, [], { ...invalid, fix: "pass 'my-api' or ['my-api', …]" })
  if (audience.length === 0) throw read.error(`${path}.audience`, 'is empty', o.audience, 'name your API', invalid)
  const algorithms = read.stringList(`${path}.algorithms`, o.algorithms, [], invalid)
  const allowed = ISSUER_ALGORITHMS.join(', ')
  if (algorithms.length === 0 || !algorithms.every((alg) => (ISSUER_ALGORITHMS as readonly string[]).includes(alg))) {
    throw read.error(
      `${path}.algorithms`,
      `must list algorithms of ${allowed}`,
      o.algorithms,
      "pass e.g. ['RS256']",
      invalid,
    )
  }
  const duration = (name: string, fallback: string, min: number, max = 366 * 86_400_000) =>
    read.duration(`${path}.${name}`, o[name], fallback, { ...invalid, min, max })
  const minCacheTtlMs = duration('minCacheTtl', '5m', 1000)
  const maxCacheTtlMs = duration('maxCacheTtl', '1d', minCacheTtlMs)
  const typ = read.optionalString(`${path}.typ`, o.typ, {
    ...invalid,
    pattern: TYP,
    fix: "pass a media type such as 'at+jwt'",
  })
  return Object.freeze({
    issuer,
    keysFrom: Object.freeze(keysFrom),
    audience,
    algorithms: algorithms as readonly KeelIssuerAlgorithm[],
    audienceClaim: read.string(`${path}.audienceClaim`, o.audienceClaim, 'aud', {
      ...invalid,
      pattern: CLAIM_NAME,
      fix: "pass a claim name such as 'client_id'",
    }),
    typ,
    mapClaims: compileClaimMapping(read, `${path}.claims`, o.claims),
    minCacheTtlMs,
    maxCacheTtlMs,
    cooldownMs: duration('refreshCooldown', '30s', 1000, 3_600_000),
    fetchTimeoutMs: duration('fetchTimeout', '5s', 1, 60_000),
    maxJwksBytes: read.integer(`${path}.maxJwksBytes`, o.maxJwksBytes, 131_072, {
      ...invalid,
      min: 1024,
      max: 16_777_216,
    }),
  })
}

/**
 * Validates the `issuers` option: a non-empty list of distinct issuers, none of them keel's own `issuer` (a token
 * must name exactly one way to verify it). `undefined` stays `undefined`.
 */
export function resolveIssuers(
  read: OptionsReader,
  value: unknown,
  ownIssuer: string | undefined,
): readonly ResolvedIssuer[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ISSUERS) {
    throw read.error(
      'issuers',
      `must be a list of 1 to ${MAX_ISSUERS} identity providers`,
      value,
      'pass [{ issuer, jwksUri, audience, algorithms }]',
      {
        code: CODE,
      },
    )
  }
  const seen = new Set<string>()
  const issuers = value.map((raw: unknown, index: number) => {
    const resolved = resolveIssuer(read, raw, `issuers[${index}]`)
    if (seen.has(resolved.issuer) || resolved.issuer === ownIssuer) {
      throw read.error(
        `issuers[${index}].issuer`,
        resolved.issuer === ownIssuer ? "is keel's own issuer" : 'is configured twice',
        resolved.issuer,
        'give each identity provider (and keel itself) its own issuer',
        { code: CODE },
      )
    }
    seen.add(resolved.issuer)
    return resolved
  })
  return Object.freeze(issuers)
}
