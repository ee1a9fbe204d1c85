import { describeValue, KeelConfigError } from '../internal/config-error.js'
import { type KeelAuthKeySet, type ResolvedKey, resolveKeys } from './keys.js'
import { MemoryTokenStore } from './memory-store.js'
import { isTokenStore, type TokenStore } from './token-store.js'

/**
 * Options of the `keelAuth` plugin. Validated once at register time; a bad value fails boot with a
 * `KeelConfigError` (`KEEL_ERR_AUTH_*`).
 * @see docs/auth.md#options
 */
export interface KeelAuthOptions {
  /**
   * Signing key(s). A string is one HS256 secret (≥ 32 bytes, kid `default`); `{ keys, current }` is a key
   * set for rotation with HS256/RS256/ES256/EdDSA keys, each pinned to its algorithm.
   */
  secret: string | KeelAuthKeySet
  /** `iss` written to and required in every access token, e.g. `https://api.example.com`. */
  issuer: string
  /** `aud` written to and required in every access token, e.g. `example-api`. */
  audience: string
  /**
   * Access token lifetime: seconds, or a string like `'15m'`, `'1h'` (units `ms`, `s`, `m`, `h`, `d`).
   * @default '15m'
   */
  accessTokenTtl?: string | number
  /**
   * Refresh token lifetime, renewed on each rotation (an idle session ends after it).
   * @default '30d'
   */
  refreshTokenTtl?: string | number
  /**
   * Seconds of clock skew tolerated when checking `exp` and `nbf` (0 to 300).
   * @default 5
   */
  clockTolerance?: number
  /**
   * Where refresh tokens and revocations live. Use a shared store (e.g. {@link RedisTokenStore}) when more
   * than one instance serves the same users.
   * @default new MemoryTokenStore()
   */
  store?: TokenStore
  /**
   * Serve the public keys at `GET /.well-known/jwks.json` (asymmetric keys only; private members never appear).
   * @default false
   */
  jwks?: boolean
  /**
   * `realm` of the `WWW-Authenticate: Bearer` challenge sent with 401s; omitted when unset.
   * @default undefined
   */
  realm?: string
  /**
   * Size of the verified-token cache (fast-jwt LRU). Cache hits still enforce `exp` and `revokeAll`.
   * `0` disables it.
   * @default 1000
   */
  verifyCache?: number
}

/** Options after validation, frozen. */
export interface ResolvedAuthOptions {
  readonly keys: ReadonlyMap<string, ResolvedKey>
  readonly current: ResolvedKey
  readonly issuer: string
  readonly audience: string
  readonly accessTtlSeconds: number
  readonly refreshTtlMs: number
  readonly clockToleranceMs: number
  readonly store: TokenStore
  readonly ownsStore: boolean
  readonly jwks: boolean
  readonly realm: string | undefined
  readonly verifyCache: number
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/

/** `'15m'` → 900000; a number is seconds. Undefined for anything else or a non-positive value. */
export function parseDuration(value: unknown): number | undefined {
  let ms: number | undefined
  if (typeof value === 'number') ms = value * 1000
  else if (typeof value === 'string') {
    const match = durationPattern.exec(value.trim())
    if (match !== null) ms = Number(match[1]) * units[match[2]!]!
  }
  return ms !== undefined && Number.isFinite(ms) && ms >= 1000 ? ms : undefined
}

function ttl(value: unknown, fallback: string, name: string): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_TTL',
      `fastify-keel/auth: "${name}" must be at least 1 second, as seconds or a string like '15m', got ${describeValue(value)}`,
    )
  }
  return ms
}

function nonEmpty(value: unknown, name: string, code: `KEEL_ERR_AUTH_${string}`): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KeelConfigError(
      code,
      `fastify-keel/auth: "${name}" must be a non-empty string, got ${describeValue(value)}`,
    )
  }
  return value
}

/** Validates {@link KeelAuthOptions} once, at register time. */
export function resolveOptions(options: KeelAuthOptions): ResolvedAuthOptions {
  if (typeof options !== 'object' || options === null) {
    throw new KeelConfigError('KEEL_ERR_AUTH_INVALID_SECRET', 'fastify-keel/auth: options with "secret" are required')
  }
  const { keys, current } = resolveKeys(options.secret)
  const issuer = nonEmpty(options.issuer, 'issuer', 'KEEL_ERR_AUTH_INVALID_ISSUER')
  const audience = nonEmpty(options.audience, 'audience', 'KEEL_ERR_AUTH_INVALID_AUDIENCE')
  const accessTtlMs = ttl(options.accessTokenTtl, '15m', 'accessTokenTtl')
  const refreshTtlMs = ttl(options.refreshTokenTtl, '30d', 'refreshTokenTtl')
  const clockTolerance = options.clockTolerance ?? 5
  if (
    typeof clockTolerance !== 'number' ||
    !Number.isFinite(clockTolerance) ||
    clockTolerance < 0 ||
    clockTolerance > 300
  ) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE',
      `fastify-keel/auth: "clockTolerance" must be seconds from 0 to 300, got ${describeValue(clockTolerance)}`,
    )
  }
  if (options.store !== undefined && !isTokenStore(options.store)) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_STORE',
      'fastify-keel/auth: "store" must implement TokenStore (save, rotate, revokeFamily, revokeSubject, getNotBefore)',
    )
  }
  const jwks = options.jwks ?? false
  if (typeof jwks !== 'boolean') {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_OPTION',
      `fastify-keel/auth: "jwks" must be a boolean, got ${describeValue(jwks)}`,
    )
  }
  if (jwks && ![...keys.values()].some((key) => key.jwk !== undefined)) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS',
      'fastify-keel/auth: "jwks: true" publishes public keys, but every configured key is HS256 (a shared secret)',
    )
  }
  const realm = options.realm
  if (realm !== undefined && (typeof realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(realm))) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_OPTION',
      `fastify-keel/auth: "realm" must be printable ASCII without quotes or backslashes, got ${describeValue(realm)}`,
    )
  }
  const verifyCache = options.verifyCache ?? 1000
  if (!Number.isInteger(verifyCache) || verifyCache < 0) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_OPTION',
      `fastify-keel/auth: "verifyCache" must be an integer >= 0, got ${describeValue(verifyCache)}`,
    )
  }
  return Object.freeze({
    keys,
    current,
    issuer,
    audience,
    accessTtlSeconds: Math.max(1, Math.round(accessTtlMs / 1000)),
    refreshTtlMs,
    clockToleranceMs: clockTolerance * 1000,
    store: options.store ?? new MemoryTokenStore(),
    ownsStore: options.store === undefined,
    jwks,
    realm,
    verifyCache,
  })
}
