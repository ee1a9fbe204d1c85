import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The claims of an authenticated user, as `request.user` exposes them. Add your own claims by declaration
 * merging; `sub` and `roles` are built in.
 *
 * @example
 * declare module 'fastify-keel/auth' {
 *   interface KeelUser { email: string; tenantId: string }
 * }
 * @see docs/auth.md#typescript
 */
export interface KeelUser {
  /** Subject: the user id. */
  sub: string
  /** Roles checked by `app.authorize('role')`. */
  roles: string[]
  /** Permissions checked by `app.authorize({ permissions })`. */
  permissions?: string[]
}

/** Registered claims of an access token: fastify-keel writes them all into its own, and requires `iss`, `aud`, `iat` and `exp` in every token. */
export interface KeelAccessTokenClaims {
  /** Issuer (the `issuer` option). */
  readonly iss: string
  /** Audience: the `audience` option (a token from another issuer may list several, one of them yours). */
  readonly aud: string | readonly string[]
  /** Issued at, seconds since the epoch. */
  readonly iat: number
  /** Expires at, seconds since the epoch. */
  readonly exp: number
  /**
   * Unique token id. Every token keel issues has one; a token of an identity provider (`issuers`) may not
   * (Microsoft Entra sends `uti` instead).
   */
  readonly jti?: string
}

/** Type of `request.user` after `app.authenticate`: your {@link KeelUser} claims plus the registered ones. */
export type KeelAuthUser = KeelUser & KeelAccessTokenClaims

/**
 * What `app.tokens.issue` takes: your {@link KeelUser} claims, `sub` required, `roles` optional (default `[]`).
 * Registered claims (`iss`, `aud`, `iat`, `exp`, `jti`) are set by fastify-keel and cannot be overridden.
 */
export type KeelTokenInput = Omit<KeelUser, 'roles'> & { roles?: string[] }

/**
 * An access token plus a refresh token, as returned by `issue` and `rotate`; send it to the client as is.
 * @see docs/auth.md#decorators
 */
export interface TokenPair {
  /** Signed JWT for `Authorization: Bearer <accessToken>`. */
  accessToken: string
  /** Opaque single-use refresh token (43 characters, base64url). */
  refreshToken: string
  /** Always `'Bearer'`. */
  tokenType: 'Bearer'
  /** Seconds until the access token expires. */
  expiresIn: number
  /** Seconds until the refresh token expires (e.g. the `maxAge` of a refresh cookie). */
  refreshTokenExpiresIn: number
}

/**
 * `app.tokens`: issue, rotate and revoke tokens.
 * @see docs/auth.md#decorators
 */
export interface KeelTokens {
  /**
   * Starts a session (a new refresh-token family) and returns its first pair. Rejects with 503
   * `TOKEN_STORE_UNAVAILABLE` when the store fails, and a `RangeError` when the claims make the access token
   * longer than the 8192 characters `authenticate` accepts.
   */
  issue(user: KeelTokenInput): Promise<TokenPair>
  /**
   * Exchanges a refresh token for a new pair; the old one is dead. Rejects with a 401 `HttpError`
   * (`REFRESH_TOKEN_INVALID`, `_EXPIRED`, `_REVOKED`, `_REUSED`), or 503 `TOKEN_STORE_UNAVAILABLE`.
   */
  rotate(refreshToken: string): Promise<TokenPair>
  /**
   * Ends the session of this refresh token (its family). Resolves `true` when a session was revoked and `false`
   * when nothing was: the token is malformed or unknown, or, with `{ sub }`, belongs to another subject (a
   * silent no-op, so logout stays idempotent and reveals nothing about other users' tokens).
   * @example await app.tokens.revoke(request.body.refreshToken, { sub: request.user.sub })
   */
  revoke(refreshToken: string, options?: { sub?: string }): Promise<boolean>
  /** Logs `sub` out everywhere: every refresh token and every access token issued before now. */
  revokeAll(sub: string): Promise<void>
  /**
   * Resolves when the token store answers (its `ping()`), else rejects with the 503 `TOKEN_STORE_UNAVAILABLE`.
   * Call it in a login route before checking the password, so an outage answers the same 503 to right and
   * wrong passwords instead of revealing which one was right.
   */
  checkStore(): Promise<void>
}

/** An `onRequest`/`preHandler` hook installed by `app.authenticate` or `app.authorize(...)`. */
export type KeelAuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/** A custom authorization check: allow when it resolves `true`. */
export type KeelAuthorizeCheck = (user: KeelAuthUser, request: FastifyRequest) => boolean | Promise<boolean>

/**
 * What `app.authorize` requires. Every given part must pass: `roles` any-of, `permissions` all-of, `check` true.
 * @see docs/auth.md#decorators
 */
export interface KeelAuthorizeOptions {
  /** Allowed when the user has at least one of these roles. */
  roles?: string[]
  /** Allowed when the user has every one of these permissions. */
  permissions?: string[]
  /** Allowed when this resolves `true` (e.g. "self or admin"). */
  check?: KeelAuthorizeCheck
}

/** A role name, a list of roles (any of them), or {@link KeelAuthorizeOptions}. */
export type KeelAuthorizeRequirement = string | string[] | KeelAuthorizeOptions
