import type { KeelCorsPolicy } from './cors-policy.js'
import type { KeelRouteSecurityConfig } from './options.js'

export {
  SECURITY_CONFIG_CODES,
  SECURITY_ERROR_CODES,
  type SecurityConfigCode,
  type SecurityErrorCode,
} from './codes.js'
export type { KeelCorsPolicy } from './cors-policy.js'
export { keelHelmetDefaults } from './headers.js'
export {
  type KeelCorsOptions,
  type KeelFailureLimitOptions,
  type KeelRateLimitOptions,
  type KeelRedisClient,
  type KeelRouteSecurityConfig,
  type KeelSecurityOptions,
  keelExposedHeaders,
} from './options.js'
export { keelSecurity, keelSecurity as default } from './plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * What keelSecurity's CORS allows (origins, credentials), for plugins that must agree with it: keelAuth's
     * refresh cookie checks `Origin` against it. Read-only.
     * @see docs/security.md#appcorspolicy
     */
    readonly corsPolicy: KeelCorsPolicy
  }
  interface FastifyContextConfig {
    /** Per-route security settings of `fastify-keel/security`: looser headers, failed-attempt limits. */
    security?: KeelRouteSecurityConfig
  }
}
