import type { KeelCorsPolicy } from './cors-policy.js'
import type { LimitHook } from './limiter.js'
import type { KeelRouteSecurityConfig } from './options.js'
import type { KeelRateLimitPolicy } from './policy-options.js'
import type { KeelRouteLimits } from './route-limits.js'

export {
  SECURITY_CONFIG_CODES,
  SECURITY_ERROR_CODES,
  type SecurityConfigCode,
  type SecurityErrorCode,
} from './codes.js'
export type { KeelCorsPolicy } from './cors-policy.js'
export { keelHelmetDefaults } from './headers.js'
export type { LimitHook as KeelRateLimitHook } from './limiter.js'
export {
  type KeelCorsOptions,
  type KeelFailureLimitOptions,
  type KeelRateLimitHeaders,
  type KeelRateLimitOptions,
  type KeelRedisClient,
  type KeelRouteSecurityConfig,
  type KeelSecurityOptions,
  keelExposedHeaders,
} from './options.js'
export { keelSecurity, keelSecurity as default } from './plugin.js'
export type {
  KeelRateLimitAlgorithm,
  KeelRateLimitKey,
  KeelRateLimitKeyGenerator,
  KeelRateLimitPolicy,
  KeelRouteRateLimit,
  KeelRouteRateLimitPolicy,
} from './policy-options.js'
export type { KeelRouteLimit, KeelRouteLimits } from './route-limits.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * What keelSecurity's CORS allows (origins, credentials), for plugins that must agree with it: keelAuth's
     * refresh cookie checks `Origin` against it. Read-only.
     * @see docs/security.md#appcorspolicy
     */
    readonly corsPolicy: KeelCorsPolicy
    /**
     * Which routes keelSecurity limits, and the rate-limit headers they send, for plugins that describe the app:
     * keelOpenApi documents 429s from it. Read-only.
     * @see docs/security.md#approutelimits
     */
    readonly routeLimits: KeelRouteLimits
  }
  interface FastifyContextConfig {
    /** Per-route security settings of `fastify-keel/security`: looser headers, rate limits, failed-attempt limits. */
    security?: KeelRouteSecurityConfig
  }
  interface FastifyInstance {
    /**
     * A rate-limit check for a hook of your own (`onRequest`, `preHandler`, …): the app's policies, or the given
     * policies and app policy names. Own policies count in counters shared by every `app.rateLimitHook()` hook that
     * uses the same policy name. Added by `keelSecurity` unless `rateLimit: false`.
     * @example
     * app.get('/search', { config: { security: { rateLimit: false } }, preHandler: app.rateLimitHook({ name: 'search', max: 10 }) }, search)
     * @see docs/security.md
     */
    rateLimitHook(policies?: KeelRateLimitPolicy | readonly (KeelRateLimitPolicy | string)[]): LimitHook
  }
}
