import type { UserType } from '@fastify/jwt'
import type { KeelAuthHook, KeelAuthorizeRequirement, KeelAuthUser, KeelTokens } from './types.js'

export {
  type AuthCodeInfo,
  type AuthConfigCode,
  type AuthErrorCode,
  authConfigCodes,
  authErrorCodes,
} from './codes.js'
export type { KeelAuthKey, KeelAuthKeySet, KeelJwtAlgorithm } from './keys.js'
export { MemoryTokenStore, type MemoryTokenStoreOptions } from './memory-store.js'
export type { KeelAuthOptions } from './options.js'
export { hashPassword, needsRehash, type PasswordHashOptions, verifyPassword } from './password.js'
export { keelAuth, keelAuth as default } from './plugin.js'
export { type RedisScriptClient, RedisTokenStore, type RedisTokenStoreOptions } from './redis-store.js'
export { runTokenStoreContract, type TokenStoreContractApi } from './store-contract.js'
export type { RefreshTokenRecord, RotateResult, TokenStore } from './token-store.js'
export type {
  KeelAccessTokenClaims,
  KeelAuthHook,
  KeelAuthorizeCheck,
  KeelAuthorizeOptions,
  KeelAuthorizeRequirement,
  KeelAuthUser,
  KeelTokenInput,
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
     * Issue, rotate and revoke token pairs.
     * @see docs/auth.md#decorators
     */
    tokens: KeelTokens
  }
  interface FastifyRequest {
    // The same declaration as @fastify/jwt's own; repeating it here keeps @fastify/jwt's types in the
    // published .d.ts, so `request.user` is typed for consumers too.
    /** The authenticated user, set by `app.authenticate`. @see docs/auth.md#typescript */
    user: UserType
  }
}

// `request.user` is declared by @fastify/jwt; typing it through its FastifyJWT interface keeps one
// declaration, so an app that also uses @fastify/jwt directly sees the same type.
declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: KeelAuthUser
  }
}
