import type { KeelAuthPolicy } from './auth-policy.js'
import type { KeelAuthErrorFactory } from './errors.js'
import type { KeelAuthHook, KeelAuthorizeRequirement, KeelAuthUser, KeelTokens } from './types.js'

// The whole typed surface of keelAuth, and nothing else: keel does not expose @fastify/jwt's `app.jwt`,
// `request.jwtVerify` or `reply.jwtSign` (see docs/auth.md#typescript), so they are not typed here either.
export type { KeelAuthorizeRule, KeelAuthPolicy, KeelRouteAccess } from './auth-policy.js'
export {
  AUTH_CONFIG_CODES,
  AUTH_ERROR_CODES,
  type AuthConfigCode,
  type AuthErrorCode,
} from './codes.js'
export type { KeelAuthErrorFactory } from './errors.js'
export type { KeelClaimMapping, KeelClaimPath, KeelClaimReader } from './issuers/claims.js'
export type { KeelIssuerAlgorithm, KeelIssuerOptions } from './issuers/options.js'
export { ISSUERS_HEALTH_CHECK, type KeelIssuersHealthCheck } from './issuers/setup.js'
export type { KeelAuthKey, KeelAuthKeySet, KeelJwtAlgorithm } from './key-material.js'
export { MemoryTokenStore, type MemoryTokenStoreOptions } from './memory-store.js'
export type { KeelAuthOptions } from './options.js'
export { hashPassword, needsRehash, type PasswordHashOptions, verifyPassword } from './password.js'
export { keelAuth, keelAuth as default } from './plugin.js'
export { type RedisScriptClient, RedisTokenStore, type RedisTokenStoreOptions } from './redis-store.js'
export type { KeelRefreshTokenOptions } from './refresh-transport-options.js'
export {
  type SqlQueryable,
  SqlTokenStore,
  type SqlTokenStoreOptions,
  sqlTokenStoreMigration,
} from './sql-store.js'
export { runTokenStoreContract, type TokenStoreContractApi } from './store-contract.js'
export type {
  KeelSession,
  KeelSessionMetadata,
  RefreshTokenRecord,
  RotateRequest,
  RotateResult,
  TokenStore,
} from './token-store.js'
export type {
  KeelAccessTokenClaims,
  KeelAuthHook,
  KeelAuthorizeCheck,
  KeelAuthorizeOptions,
  KeelAuthorizeRequirement,
  KeelAuthUser,
  KeelIssueOptions,
  KeelTokenInput,
  KeelTokenResponse,
  KeelTokens,
  KeelUser,
  TokenPair,
} from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Hook that requires a valid access token (`Authorization: Bearer …`) and sets `request.user`; 401 otherwise.
     * @example app.get('/me', { onRequest: [app.authenticate] }, handler)
     * @see docs/auth.md#decorators
     */
    authenticate: KeelAuthHook
    /**
     * Builds a hook that allows the request only when the user has a role / permissions / passes a check; 403
     * otherwise. Put it after `app.authenticate`.
     * @example app.delete('/users/:id', { onRequest: [app.authenticate, app.authorize('admin')] }, handler)
     * @see docs/auth.md#decorators
     */
    authorize: (requirement: KeelAuthorizeRequirement) => KeelAuthHook
    /**
     * The `HttpError` of an auth code, with its status and the `WWW-Authenticate` challenge keel sends.
     * @example throw app.authError('INVALID_CREDENTIALS', 'Invalid email or password')
     * @see docs/auth.md#decorators
     */
    authError: KeelAuthErrorFactory
    /**
     * Issue, rotate and revoke token pairs; list and end sessions; carry refresh tokens (body or cookie); check
     * the token store.
     * @see docs/auth.md#apptokens
     */
    tokens: KeelTokens
    /**
     * What auth asks of each route (a token, the rules of its guards) and how tokens travel, for plugins that
     * describe the app: keelOpenApi documents security from it. Read-only.
     * @see docs/auth.md#appauthpolicy
     */
    readonly authPolicy: KeelAuthPolicy
  }
  interface FastifyRequest {
    /**
     * The authenticated user, set by `app.authenticate` (unset on routes without it). An app that also uses
     * `@fastify/jwt` declares `FastifyJWT { user: KeelAuthUser }` so the two declarations agree.
     * @see docs/auth.md#typescript
     */
    user: KeelAuthUser
  }
}
