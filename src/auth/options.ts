import { optionsReader } from '../internal/options.js'
import { type KeelIssuerOptions, type ResolvedIssuer, resolveIssuers } from './issuers/options.js'
import {
  type KeelIssuersHealthCheck,
  type ResolvedIssuersHealthCheck,
  resolveIssuersHealthCheck,
} from './issuers/setup.js'
import { type KeelAuthKeySet, type ResolvedKey, resolveKeys } from './key-material.js'
import { MemoryTokenStore } from './memory-store.js'
import {
  type KeelRefreshTokenOptions,
  type ResolvedRefreshTransport,
  resolveRefreshTransport,
} from './refresh-transport-options.js'
import { isTokenStore, TOKEN_STORE_METHODS, type TokenStore } from './token-store.js'

/**
 * Options of the `keelAuth` plugin. Validated once at register time; a bad value fails boot with a
 * `KeelConfigError` (`KEEL_ERR_AUTH_*`). Durations are milliseconds or strings such as `'15m'`, `'30 days'`.
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
   * Access token lifetime: milliseconds, or a string such as `'15m'` (at least 1 second).
   * @default '15m'
   */
  accessTokenTtl?: string | number
  /**
   * Refresh token lifetime, renewed on each rotation (an idle session ends after it), never past the session's
   * end (`sessionMaxAge`).
   * @default '30d'
   */
  refreshTokenTtl?: string | number
  /**
   * Absolute session lifetime: a session (and every refresh and access token of it) ends this long after login,
   * however often it rotates; the user logs in again.
   * @default '90d'
   */
  sessionMaxAge?: string | number
  /**
   * How long after a rotation the same refresh token may be rotated again and get the same new pair (two tabs
   * refreshing at once, a retried request), instead of counting as reuse. `0` turns it off: every second
   * rotation is reuse and ends the session. At most 1 minute.
   * @default 0
   */
  refreshGraceWindow?: string | number
  /**
   * `'session-bound'`: `authenticate` also refuses an access token whose session was ended (logout,
   * `endSession`, reuse detection, its absolute end), on every instance from the next request on, for the one
   * store lookup it already makes. `'stateless'`: only `revokeAll` refuses an access token before its `exp`.
   * @default 'session-bound'
   */
  accessTokens?: 'stateless' | 'session-bound'
  /**
   * How refresh tokens travel: in the JSON body (`transport: 'body'`), or in an `HttpOnly; Secure;
   * SameSite=Strict` cookie with a CSRF check (`transport: 'cookie'`, needs `@fastify/cookie`).
   * @default { transport: 'body' }
   */
  refreshToken?: KeelRefreshTokenOptions
  /**
   * Clock skew tolerated when checking `exp` and `nbf`: milliseconds or a string, up to 5 minutes.
   * @default '5s'
   */
  clockTolerance?: string | number
  /**
   * Where refresh tokens and revocations live. Use a shared store ({@link RedisTokenStore},
   * {@link SqlTokenStore}) when more than one instance serves the same users.
   * @default new MemoryTokenStore()
   */
  store?: TokenStore
  /**
   * Longest wait for one token-store call; past it (or when the store fails) the request gets a 503
   * `TOKEN_STORE_UNAVAILABLE`.
   * @default '1s'
   */
  storeTimeout?: string | number
  /**
   * Serve the public keys at `GET /.well-known/jwks.json` (asymmetric keys only; private members never appear).
   * @default false
   */
  jwks?: boolean
  /**
   * `realm` of the `WWW-Authenticate: Bearer` challenge sent with 401s and 403s; omitted when unset.
   * @default undefined
   */
  realm?: string
  /**
   * Most verified access tokens kept, so a token seen again costs a map lookup instead of a signature check.
   * Hits still enforce `exp` and `revokeAll`. `0` turns it off.
   * @default 1000
   */
  verifyCache?: number

  // Verifying the tokens of identity providers as well (docs/auth.md#verifying-tokens-from-an-identity-provider).
  /**
   * Identity providers whose access tokens `authenticate` also accepts, next to keel's own: each with its `issuer`,
   * its keys (`jwksUri` or `discovery`), `audience` and `algorithms`. Needs the optional peer dependency `jose`.
   * @default undefined (keel's own tokens only)
   */
  issuers?: KeelIssuerOptions[]
  /**
   * Add the readiness check `auth:jwks` to keelHealth (register it first): it passes while every issuer has usable keys.
   * @default false
   */
  issuersHealthCheck?: KeelIssuersHealthCheck
}

/** Options after validation, frozen. */
export interface ResolvedAuthOptions {
  readonly keys: ReadonlyMap<string, ResolvedKey>
  readonly current: ResolvedKey
  readonly issuer: string
  readonly audience: string
  readonly accessTtlMs: number
  readonly refreshTtlMs: number
  readonly sessionMaxAgeMs: number
  readonly graceWindowMs: number
  readonly sessionBound: boolean
  readonly refreshTransport: ResolvedRefreshTransport
  readonly clockToleranceMs: number
  readonly store: TokenStore
  readonly ownsStore: boolean
  readonly storeTimeoutMs: number
  readonly jwks: boolean
  readonly realm: string | undefined
  readonly verifyCache: number
  readonly issuers: readonly ResolvedIssuer[] | undefined
  readonly issuersHealthCheck: ResolvedIssuersHealthCheck
}

const KNOWN = [
  'secret',
  'issuer',
  'audience',
  'accessTokenTtl',
  'refreshTokenTtl',
  'sessionMaxAge',
  'refreshGraceWindow',
  'accessTokens',
  'refreshToken',
  'clockTolerance',
  'store',
  'storeTimeout',
  'jwks',
  'realm',
  'verifyCache',
  'issuers',
  'issuersHealthCheck',
]
const DAY = 86_400_000
/** Printable ASCII without `"` and `\`, so the realm fits in a quoted-string as is. */
export const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}$/

/** The validators and error constructor of this plugin. */
export const read = optionsReader('auth', 'KEEL_ERR_AUTH_INVALID_OPTION')

/**
 * A duration option that was a number of seconds before numbers became milliseconds: a number from 1 to 999 is
 * refused (it is almost surely seconds), naming the string to write instead. Larger numbers of seconds read as
 * milliseconds only ever make a lifetime shorter, never longer.
 */
function migratedDuration(
  path: string,
  value: unknown,
  fallback: string,
  range: { code: `KEEL_ERR_${string}`; min: number; max: number },
): number {
  if (typeof value === 'number' && value > 0 && value < 1000) {
    throw read.error(
      path,
      'is a number below 1000: numbers are milliseconds now, they were seconds before',
      value,
      `write '${value}s' for ${value} seconds (or ${value * 1000} ms)`,
      { code: range.code },
    )
  }
  return read.duration(path, value, fallback, {
    ...range,
    fix: "pass a string such as '15m', '1h', '30d', or a number of milliseconds",
  })
}

function required(path: string, value: unknown, code: `KEEL_ERR_${string}`): string {
  if (value === undefined) throw read.error(path, 'is required', value, `set "${path}"`, { code })
  return read.string(path, value, '', { code, fix: `set "${path}" to a non-empty string` })
}

/** Validates {@link KeelAuthOptions} once, at register time. */
export function resolveOptions(options: unknown): ResolvedAuthOptions {
  const o = read.root(options, KNOWN)
  const { keys, current } = resolveKeys(read, o.secret)
  const issuer = required('issuer', o.issuer, 'KEEL_ERR_AUTH_INVALID_ISSUER')
  const audience = required('audience', o.audience, 'KEEL_ERR_AUTH_INVALID_AUDIENCE')
  const ttl = { code: 'KEEL_ERR_AUTH_INVALID_TTL', min: 1000, max: 366 * DAY } as const
  const accessTtlMs = migratedDuration('accessTokenTtl', o.accessTokenTtl, '15m', ttl)
  const refreshTtlMs = migratedDuration('refreshTokenTtl', o.refreshTokenTtl, '30d', ttl)
  const sessionMaxAgeMs = migratedDuration('sessionMaxAge', o.sessionMaxAge, '90d', ttl)
  const clockToleranceMs = migratedDuration('clockTolerance', o.clockTolerance, '5s', {
    code: 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE',
    min: 0,
    max: 300_000,
  })
  if (o.store !== undefined && !isTokenStore(o.store)) {
    throw read.error(
      'store',
      'does not implement TokenStore',
      o.store,
      `pass an object with ${TOKEN_STORE_METHODS.join(', ')}`,
      { code: 'KEEL_ERR_AUTH_INVALID_STORE' },
    )
  }
  const jwks = read.boolean('jwks', o.jwks, false)
  if (jwks && ![...keys.values()].some((key) => key.jwk !== undefined)) {
    throw read.error(
      'jwks',
      'publishes public keys, but every configured key is HS256 (a shared secret)',
      jwks,
      'add an RS256, ES256 or EdDSA key, or drop "jwks"',
      {
        code: 'KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS',
      },
    )
  }
  return Object.freeze({
    keys,
    current,
    issuer,
    audience,
    accessTtlMs,
    refreshTtlMs,
    sessionMaxAgeMs,
    graceWindowMs: read.duration('refreshGraceWindow', o.refreshGraceWindow, 0, { min: 0, max: 60_000 }),
    sessionBound:
      read.oneOf('accessTokens', o.accessTokens, ['stateless', 'session-bound'], 'session-bound') !== 'stateless',
    refreshTransport: resolveRefreshTransport(read, o.refreshToken),
    clockToleranceMs,
    store: (o.store as TokenStore | undefined) ?? new MemoryTokenStore(),
    ownsStore: o.store === undefined,
    storeTimeoutMs: read.duration('storeTimeout', o.storeTimeout, '1s', { min: 1, max: 60_000 }),
    jwks,
    realm: read.optionalString('realm', o.realm, {
      pattern: REALM,
      fix: 'use 1 to 256 printable ASCII characters without quotes or backslashes',
    }),
    verifyCache: read.integer('verifyCache', o.verifyCache, 1000, { min: 0, max: 1_000_000 }),
    issuers: resolveIssuers(read, o.issuers, issuer),
    issuersHealthCheck: resolveIssuersHealthCheck(read, o.issuersHealthCheck),
  })
}
