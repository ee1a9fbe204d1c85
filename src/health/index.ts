import type { KeelHealthPolicy } from './health-policy.js'
import type { KeelHealthUnderPressureOptions } from './options.js'
import type { KeelHealth } from './plugin.js'

export type {
  HealthCheck,
  HealthCheckContext,
  HealthCheckEntry,
  HealthCheckOptions,
  HealthCheckResult,
  HealthDocument,
  HealthStatus,
} from './checks.js'
export { HEALTH_CONFIG_CODES, HEALTH_ERROR_CODES, type HealthConfigCode, type HealthErrorCode } from './codes.js'
export type { KeelHealthPolicy } from './health-policy.js'
export type { KeelHealthOptions, KeelHealthUnderPressureOptions } from './options.js'
export { type KeelHealth, keelHealth, keelHealth as default } from './plugin.js'
export { HEALTH_JSON, healthDocumentSchema } from './schemas.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness checks and graceful shutdown; added by `keelHealth`. @see docs/health.md */
    health: KeelHealth
    /**
     * Whether keelHealth sheds load and which routes are its probes, for plugins that describe the app: keelOpenApi
     * documents 503s from it. Read-only.
     * @see docs/health.md#apphealthpolicy
     */
    readonly healthPolicy: KeelHealthPolicy
  }
  interface FastifyContextConfig {
    /**
     * This route's answer to pressure instead of shedding it: return nothing to let the request through, or send
     * a reply. `@fastify/under-pressure` reads it; its own types do not declare it.
     * @see docs/health.md#degrade-instead-of-shedding
     */
    pressureHandler?: KeelHealthUnderPressureOptions['pressureHandler']
  }
}
