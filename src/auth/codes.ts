import { configCodes, responseCodes } from '../internal/codes.js'

/**
 * Codes of the errors `fastify-keel/auth` sends to clients (in the problem document's `code` member), with
 * their one status. Stable: clients may branch on them. Documented in docs/auth.md; a test keeps them in sync.
 * @see docs/auth.md#error-codes
 */
export const AUTH_ERROR_CODES = responseCodes({
  TOKEN_MISSING: { status: 401, when: 'no `Authorization: Bearer` credentials were sent' },
  TOKEN_INVALID: {
    status: 401,
    when: 'the access token is malformed, forged, too large, signed by an unknown key or has a missing or wrong claim',
  },
  TOKEN_EXPIRED: { status: 401, when: 'the access token is past its `exp` (plus `clockTolerance`)' },
  TOKEN_REVOKED: {
    status: 401,
    when: 'the access token was issued before `tokens.revokeAll(sub)`, or (session-bound) its session has ended',
  },
  FORBIDDEN: { status: 403, when: 'the user is authenticated but `authorize` refused the role, permission or check' },
  CSRF_REJECTED: {
    status: 403,
    when: 'cookie mode: an unsafe request under the refresh cookie path lacks the CSRF header or comes from another site',
  },
  INVALID_CREDENTIALS: {
    status: 401,
    when: "your login route refused the user's credentials (`app.authError('INVALID_CREDENTIALS')`)",
  },
  REFRESH_TOKEN_INVALID: { status: 401, when: 'the refresh token is malformed or unknown' },
  REFRESH_TOKEN_EXPIRED: { status: 401, when: 'the refresh token or its session is past its lifetime' },
  REFRESH_TOKEN_REVOKED: {
    status: 401,
    when: 'the refresh token was revoked (logout, `revokeAll`, or reuse detected)',
  },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    when: 'an already rotated refresh token was presented again; its whole family is now revoked',
  },
  TOKEN_STORE_UNAVAILABLE: {
    status: 503,
    when: 'the token store failed or did not answer within `storeTimeout`; sent with `Retry-After`',
  },
  PASSWORD_TOO_LONG: { status: 400, when: '`hashPassword` got a password over 1024 bytes' },
  TOKEN_KEYS_UNAVAILABLE: {
    status: 503,
    when: "the token's identity provider (`issuers`) has no usable key at hand: its JWK Set cannot be fetched and the last one is past `maxCacheTtl`; sent with `Retry-After`",
  },
})

/** A code sent to clients by `fastify-keel/auth`. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_CODES

/**
 * Codes of the `KeelConfigError`s `fastify-keel/auth` throws at boot when it is misused, with the fix.
 * @see docs/auth.md#error-codes
 */
export const AUTH_CONFIG_CODES = configCodes({
  KEEL_ERR_AUTH_INVALID_OPTION: {
    when: 'the options are not an object, an option name is unknown, or another option (`refreshGraceWindow`, `accessTokens`, `refreshToken`, `storeTimeout`, …) has a bad value',
    fix: 'fix the option named in the message',
  },
  KEEL_ERR_AUTH_INVALID_SECRET: {
    when: '`secret` is missing, not a string or `{ keys, current }`, or `keys` is empty',
    fix: 'pass a secret or a key set (to only verify the tokens of an identity provider, use `keelResourceServer`)',
  },
  KEEL_ERR_AUTH_SECRET_TOO_SHORT: {
    when: 'an HS256 secret is under 32 bytes',
    fix: 'generate 32+ random bytes (`openssl rand -base64 32`)',
  },
  KEEL_ERR_AUTH_INVALID_KEY: {
    when: 'a key has a bad `kid`, `algorithm` or key material (wrong type, RSA < 2048, mismatched pair)',
    fix: 'fix the key named in the message',
  },
  KEEL_ERR_AUTH_DUPLICATE_KID: { when: 'two keys share a `kid`', fix: 'give each key its own id' },
  KEEL_ERR_AUTH_UNKNOWN_CURRENT_KEY: {
    when: '`secret.current` names no configured key',
    fix: 'set it to one of the kids',
  },
  KEEL_ERR_AUTH_CURRENT_KEY_CANNOT_SIGN: {
    when: 'the current key has no `secret` / `privateKey`',
    fix: 'add the private key, or pick another current key',
  },
  KEEL_ERR_AUTH_INVALID_ISSUER: { when: '`issuer` is not a non-empty string', fix: 'set `issuer`' },
  KEEL_ERR_AUTH_INVALID_AUDIENCE: { when: '`audience` is not a non-empty string', fix: 'set `audience`' },
  KEEL_ERR_AUTH_INVALID_TTL: {
    when: '`accessTokenTtl` / `refreshTokenTtl` / `sessionMaxAge` is not a duration of at least 1 second (a number is milliseconds)',
    fix: "use a string such as `'15m'` or `'30d'`, or milliseconds",
  },
  KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE: {
    when: '`clockTolerance` is not a duration from 0 to 5 minutes (a number is milliseconds)',
    fix: "use a string such as `'5s'`, or milliseconds",
  },
  KEEL_ERR_AUTH_INVALID_STORE: {
    when: '`store` lacks a `TokenStore` method, or a store got bad options',
    fix: 'implement the interface / fix the store option named in the message',
  },
  KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS: {
    when: '`jwks: true` with only HS256 keys',
    fix: 'add an asymmetric key or drop `jwks`',
  },
  KEEL_ERR_AUTH_COOKIE_PLUGIN_MISSING: {
    when: "`refreshToken.transport: 'cookie'` and `@fastify/cookie` is not registered when the app is ready",
    fix: '`npm install @fastify/cookie` and register it (before keelAuth)',
  },
  KEEL_ERR_AUTH_DECORATOR_EXISTS: {
    when: '`authenticate`, `authorize`, `authError` or `tokens` is already decorated',
    fix: 'register `keelAuth` once',
  },
  KEEL_ERR_AUTH_INVALID_REQUIREMENT: {
    when: '`authorize()` got no roles, permissions or check, or bad ones',
    fix: "pass `'role'`, `['a', 'b']` or `{ roles, permissions, check }`",
  },
  KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE: {
    when: 'a route runs `authorize` with no `authenticate` before it',
    fix: '`onRequest: [app.authenticate, app.authorize(…)]`',
  },
  KEEL_ERR_AUTH_INVALID_ISSUERS: {
    when: '`issuers` is not a list of identity providers, or one has a missing or bad `issuer`, `jwksUri`/`discovery`, `audience`, `algorithms`, `typ`, `claims` or cache setting',
    fix: 'fix the entry named in the message',
  },
  KEEL_ERR_AUTH_JOSE_MISSING: {
    when: '`issuers` is set and the optional peer dependency `jose` is not installed (or, from CommonJS before Node 20.19, cannot be required)',
    fix: '`npm install jose`',
  },
  KEEL_ERR_AUTH_HEALTH_MISSING: {
    when: '`issuersHealthCheck` is set and `keelHealth` is not registered before the auth plugin',
    fix: 'register `keelHealth` first, or drop `issuersHealthCheck`',
  },
})

/** A `KeelConfigError` code thrown by `fastify-keel/auth`. */
export type AuthConfigCode = keyof typeof AUTH_CONFIG_CODES
