// The typed contract through which other plugins see what keel's auth asks of each route, instead of reading its
// options or a route's hooks: `app.authPolicy`. keelOpenApi documents security schemes and each operation's
// `security` from it. This file imports only Fastify's types, so a plugin that reads the contract takes in nothing
// else of auth's.
import type { RouteOptions } from 'fastify'

/** One `app.authorize(...)` guard of a route: the user needs any of `roles`, all of `permissions`, and `check`. */
export interface KeelAuthorizeRule {
  /** Any one of these roles passes; empty when the guard names no role. */
  readonly roles: readonly string[]
  /** Every one of these permissions is needed; empty when the guard names none. */
  readonly permissions: readonly string[]
  /** Whether the guard runs a `check` function of the app's (its rule cannot be described). */
  readonly check: boolean
}

/** What a route asks of its callers: a valid access token, and the rules of its `authorize` guards (all must pass). */
export interface KeelRouteAccess {
  readonly authorize: readonly KeelAuthorizeRule[]
}

/**
 * What keelAuth (or keelResourceServer) does, as `app.authPolicy` (read-only, frozen).
 * @see docs/auth.md#appauthpolicy
 */
export interface KeelAuthPolicy {
  /** The access tokens `app.authenticate` accepts: `Authorization: Bearer <JWT>`. */
  readonly bearerFormat: 'JWT'
  /** The refresh cookie in cookie mode (`refreshToken.transport: 'cookie'`), else `null`. */
  readonly refreshCookie: { readonly name: string; readonly path: string; readonly csrfHeader: string } | null
  /**
   * The codes `authenticate` answers 503 with when a dependency fails: `TOKEN_STORE_UNAVAILABLE` (keelAuth's token
   * store), `TOKEN_KEYS_UNAVAILABLE` (an identity provider's keys, with `issuers`).
   */
  readonly outageCodes: readonly string[]
  /**
   * What the route asks: `null` for a public route, else its access rules. Reads the route's own hooks and the
   * hooks of the scope it was declared in (`addHook('onRequest', app.authenticate)`); call it after `ready()`.
   */
  routeAccess(route: RouteOptions): KeelRouteAccess | null
}
