import type { KeelAuthPolicy } from '../auth/auth-policy.js'
import type { KeelAuthErrorFactory } from '../auth/errors.js'
import type { KeelAuthHook, KeelAuthorizeRequirement, KeelAuthUser } from '../auth/types.js'

// The typed surface of keelResourceServer: what it decorates, the same declarations as fastify-keel/auth's minus
// `app.tokens`, which does not exist when keel issues no tokens. (An app that imports fastify-keel/auth as well gets
// its declarations too; both agree on every member they share.)
export type { KeelAuthorizeRule, KeelAuthPolicy, KeelRouteAccess } from '../auth/auth-policy.js'
export {
  AUTH_CONFIG_CODES,
  AUTH_ERROR_CODES,
  type AuthConfigCode,
  type AuthErrorCode,
} from '../auth/codes.js'
export type { KeelAuthErrorFactory } from '../auth/errors.js'
export type { KeelClaimMapping, KeelClaimPath, KeelClaimReader } from '../auth/issuers/claims.js'
export type { KeelIssuerAlgorithm, KeelIssuerOptions } from '../auth/issuers/options.js'
export { ISSUERS_HEALTH_CHECK, type KeelIssuersHealthCheck } from '../auth/issuers/setup.js'
export type {
  KeelAccessTokenClaims,
  KeelAuthHook,
  KeelAuthorizeCheck,
  KeelAuthorizeOptions,
  KeelAuthorizeRequirement,
  KeelAuthUser,
  KeelUser,
} from '../auth/types.js'
export type { KeelResourceServerOptions } from './options.js'
export { keelResourceServer, keelResourceServer as default } from './plugin.js'

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
     * @example throw app.authError('TOKEN_INVALID', 'This account no longer exists')
     * @see docs/auth.md#decorators
     */
    authError: KeelAuthErrorFactory
    /**
     * What auth asks of each route (a token, the rules of its guards) and how tokens travel, for plugins that
     * describe the app: keelOpenApi documents security from it. Read-only.
     * @see docs/auth.md#appauthpolicy
     */
    readonly authPolicy: KeelAuthPolicy
  }
  interface FastifyRequest {
    /**
     * The authenticated user, set by `app.authenticate` (unset on routes without it): the token's claims, with `sub`,
     * `roles` and `permissions` mapped by the issuer's `claims` option.
     * @see docs/auth.md#claim-mapping
     */
    user: KeelAuthUser
  }
}
