import type { KeelRouteSecurityConfig } from './options.js'

export {
  SECURITY_CONFIG_CODES,
  SECURITY_ERROR_CODES,
  type SecurityConfigCode,
  type SecurityErrorCode,
} from './codes.js'
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
  interface FastifyContextConfig {
    /** Per-route security settings of `fastify-keel/security`: looser headers, failed-attempt limits. */
    security?: KeelRouteSecurityConfig
  }
}
