// The typed contract through which other plugins see what keelHealth answers for the app's routes, instead of
// reading its options: `app.healthPolicy`. keelOpenApi documents 503s from it. This file imports only Fastify's types.
import type { RouteOptions } from 'fastify'

/**
 * What keelHealth does to the app's routes, as `app.healthPolicy` (read-only, frozen).
 * @see docs/health.md#apphealthpolicy
 */
export interface KeelHealthPolicy {
  /**
   * Whether under-pressure sheds requests: every route but the probes may answer 503 `SERVICE_OVERLOADED` with
   * `Retry-After`.
   */
  readonly shedding: boolean
  /** `Retry-After` of a shed request, in seconds; `undefined` when nothing is shed. */
  readonly retryAfter: number | undefined
  /** Whether the route is one of keelHealth's probes (`<prefix>/live`, `<prefix>/ready`), which are never shed. */
  isProbe(route: Pick<RouteOptions, 'url'>): boolean
}
