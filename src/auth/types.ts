import type { FastifyReply, FastifyRequest } from 'fastify'
import type { KeelSession, KeelSessionMetadata } from './token-store.js'

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
  /**
   * Session id (OpenID Connect's `sid`): the session this token belongs to, as in `app.tokens.sessions()`. Every
   * token keel issues has one; a token of another issuer sharing the key may not.
   */
  readonly sid?: string
}

/** Type of `request.user` after `app.authenticate`: your {@link KeelUser} claims plus the registered ones. */
export type KeelAuthUser = KeelUser & KeelAccessTokenClaims

/**
 * What `app.tokens.issue` takes: your {@link KeelUser} claims, `sub` required, `roles` optional (default `[]`).
 * Registered claims (`iss`, `aud`, `iat`, `exp`, `jti`, `sid`) are set by fastify-keel and cannot be overridden.
 */
export type KeelTokenInput = Omit<KeelUser, 'roles'> & { roles?: string[] }

/** Options of `app.tokens.issue`. */
export interface KeelIssueOptions {
  /** What to record about the session's device (bounded; shown by `app.tokens.sessions`). @default {} */
  metadata?: KeelSessionMetadata
}

/**
 * An access token plus a refresh token, as returned by `issue` and `rotate`. Field names are camelCase like the
 * rest of keel; RFC 6749 §5.1 calls them `access_token`, `token_type`, `expires_in`, `refresh_token` (see
 * docs/auth.md#token-answers). Send it through `app.tokens.respond(reply, pair)`.
 * @see docs/auth.md#decorators
 */
export interface TokenPair {
  /** Signed JWT for `Authorization: Bearer <accessToken>` (header `typ: at+jwt`). */
  accessToken: string
  /** Opaque single-use refresh token (43 characters, base64url). */
  refreshToken: string
  /** Always `'Bearer'`. */
  tokenType: 'Bearer'
  /** Seconds until the access token expires. */
  expiresIn: number
  /** Seconds until the refresh token expires (the `Max-Age` of the refresh cookie); never past the session's end. */
  refreshTokenExpiresIn: number
  /** The session of this pair: the `sid` claim of the access token, the `id` in `app.tokens.sessions()`. */
  sessionId: string
  /** Seconds until the session ends however often it is refreshed (`sessionMaxAge` after login). */
  sessionExpiresIn: number
}

/**
 * What `app.tokens.respond` returns for the client: the {@link TokenPair}, without `refreshToken` in cookie mode
 * (the cookie carries it).
 */
export type KeelTokenResponse = Omit<TokenPair, 'refreshToken'> & { refreshToken?: string }

/**
 * `app.tokens`: issue, rotate and revoke tokens.
 * @see docs/auth.md#decorators
 */
export interface KeelTokens {
  /**
   * Starts a session (a new refresh-token family) and returns its first pair; `options.metadata` records the
   * device (user agent, IP, a name). Rejects with 503 `TOKEN_STORE_UNAVAILABLE` when the store fails, and a
   * `RangeError` when the claims make the access token longer than the 8192 characters `authenticate` accepts.
   * @example app.tokens.issue({ sub: user.id, roles: [user.role] }, { metadata: { userAgent: request.headers['user-agent'], ip: request.ip } })
   */
  issue(user: KeelTokenInput, options?: KeelIssueOptions): Promise<TokenPair>
  /**
   * Exchanges a refresh token for a new pair; the old one is dead. Within `refreshGraceWindow` of that, the same
   * token gets the same new refresh token again (with a fresh access token). Rejects with a 401 `HttpError`
   * (`REFRESH_TOKEN_INVALID`, `_EXPIRED`, `_REVOKED`, `_REUSED`), or 503 `TOKEN_STORE_UNAVAILABLE`.
   */
  rotate(refreshToken: string | undefined): Promise<TokenPair>
  /**
   * Ends the session of this refresh token (its family). Resolves `true` when a session was revoked and `false`
   * when nothing was: the token is missing, malformed or unknown, or, with `{ sub }`, belongs to another subject
   * (a silent no-op, so logout stays idempotent and reveals nothing about other users' tokens).
   * @example await app.tokens.revoke(app.tokens.fromRequest(request), { sub: request.user.sub })
   */
  revoke(refreshToken: string | undefined, options?: { sub?: string }): Promise<boolean>
  /** Logs `sub` out everywhere: every refresh token and every access token issued before now. */
  revokeAll(sub: string): Promise<void>
  /**
   * The live sessions of `sub`, most recently used first (at most 100): id, times (ms since the epoch) and the
   * metadata recorded at login. Never a token.
   * @example const mine = await app.tokens.sessions(request.user.sub)
   */
  sessions(sub: string): Promise<KeelSession[]>
  /**
   * Ends session `sid` of `sub`: its refresh tokens die at once, and its access tokens too with session-bound
   * access tokens. Resolves `false` when `sub` has no such live session (so one user cannot end another's).
   * @example await app.tokens.endSession(request.user.sub, request.params.id)
   */
  endSession(sub: string, sid: string): Promise<boolean>
  /**
   * The refresh token the client sent: the `refreshToken` field of the JSON body, or in cookie mode the refresh
   * cookie, after the CSRF check (403 `CSRF_REJECTED`). `undefined` when there is none.
   * @example app.post('/auth/refresh', async (request, reply) => app.tokens.respond(reply, await app.tokens.rotate(app.tokens.fromRequest(request))))
   */
  fromRequest(request: FastifyRequest): string | undefined
  /**
   * What to send for a new pair: the pair itself, or in cookie mode the pair without `refreshToken` after
   * setting the refresh cookie (CSRF-checked like `fromRequest`). Sets `Cache-Control: no-store`.
   */
  respond(reply: FastifyReply, pair: TokenPair): KeelTokenResponse
  /** Cookie mode: expires the refresh cookie and sends `Clear-Site-Data: "cookies"` (logout). Body mode: nothing. */
  clearCookie(reply: FastifyReply): void
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
