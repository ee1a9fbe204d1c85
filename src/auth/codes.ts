/** One entry of an error-code registry: the HTTP status and when the code is used. */
export interface AuthCodeInfo {
  /** HTTP status sent with the code. */
  readonly status: number
  /** When the code is used (mirrors the table in docs/auth.md). */
  readonly when: string
}

/**
 * Codes of the errors `fastify-keel/auth` sends to clients (in the problem document's `code` member).
 * Stable: clients may branch on them.
 * @see docs/auth.md
 */
export const authErrorCodes = Object.freeze({
  TOKEN_MISSING: { status: 401, when: 'no `Authorization: Bearer` credentials were sent' },
  TOKEN_INVALID: {
    status: 401,
    when: 'the access token is malformed, forged, too large, signed by an unknown key or has a wrong claim',
  },
  TOKEN_EXPIRED: { status: 401, when: 'the access token is past its `exp` (plus `clockTolerance`)' },
  TOKEN_REVOKED: { status: 401, when: 'the access token was issued before `tokens.revokeAll(sub)` was called' },
  FORBIDDEN: { status: 403, when: 'the user is authenticated but `authorize` refused the role, permission or check' },
  REFRESH_TOKEN_INVALID: { status: 401, when: 'the refresh token is malformed or unknown' },
  REFRESH_TOKEN_EXPIRED: { status: 401, when: 'the refresh token is past its lifetime' },
  REFRESH_TOKEN_REVOKED: {
    status: 401,
    when: 'the refresh token was revoked (logout, `revokeAll`, or reuse detected)',
  },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    when: 'an already rotated refresh token was presented again; its whole family is now revoked',
  },
  PASSWORD_TOO_LONG: { status: 400, when: '`hashPassword` got a password over 1024 bytes' },
} satisfies Record<string, AuthCodeInfo>)

/** A code sent to clients by `fastify-keel/auth`. */
export type AuthErrorCode = keyof typeof authErrorCodes

/**
 * Codes of the `KeelConfigError`s `fastify-keel/auth` throws at boot when it is misused.
 * @see docs/auth.md
 */
export const authConfigCodes = Object.freeze({
  KEEL_ERR_AUTH_INVALID_SECRET: 'the `secret` option is missing or not a string / key set',
  KEEL_ERR_AUTH_SECRET_TOO_SHORT: 'an HS256 secret is shorter than 32 bytes',
  KEEL_ERR_AUTH_INVALID_KEY: 'a key in `secret.keys` has a bad `kid`, `algorithm` or key material',
  KEEL_ERR_AUTH_DUPLICATE_KID: 'two keys in `secret.keys` share a `kid`',
  KEEL_ERR_AUTH_UNKNOWN_CURRENT_KEY: '`secret.current` names no configured key',
  KEEL_ERR_AUTH_CURRENT_KEY_CANNOT_SIGN: 'the `current` key has no `secret` / `privateKey` to sign with',
  KEEL_ERR_AUTH_INVALID_ISSUER: '`issuer` is not a non-empty string',
  KEEL_ERR_AUTH_INVALID_AUDIENCE: '`audience` is not a non-empty string',
  KEEL_ERR_AUTH_INVALID_TTL: '`accessTokenTtl` / `refreshTokenTtl` is not a positive duration',
  KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE: '`clockTolerance` is not a number of seconds from 0 to 300',
  KEEL_ERR_AUTH_INVALID_STORE: '`store` does not implement the `TokenStore` interface',
  KEEL_ERR_AUTH_INVALID_OPTION: 'another option (`jwks`, `realm`, `verifyCache`) has a bad value',
  KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS: '`jwks: true` but no RS256/ES256/EdDSA key is configured',
  KEEL_ERR_AUTH_DECORATOR_EXISTS: '`authenticate`, `authorize` or `tokens` is already decorated (registered twice?)',
  KEEL_ERR_AUTH_INVALID_REQUIREMENT: '`authorize()` was called without roles, permissions or a check',
  KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE: 'a route uses `authorize` with no `authenticate` running before it',
} satisfies Record<`KEEL_ERR_AUTH_${string}`, string>)

/** A `KeelConfigError` code thrown by `fastify-keel/auth`. */
export type AuthConfigCode = keyof typeof authConfigCodes
