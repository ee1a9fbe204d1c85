// The typed contract through which other plugins see which routes keelSecurity limits, instead of reading its
// options or a route's hooks: `app.routeLimits`. keelOpenApi documents 429s and the rate-limit headers from it. This
// file imports only Fastify's types.
import type { RouteOptions } from 'fastify'

/** How keelSecurity limits one route. */
export interface KeelRouteLimit {
  /** Whether app or route rate-limit policies count its requests (429 `RATE_LIMITED`, rate-limit headers). */
  readonly rateLimited: boolean
  /** Whether a failure limit (`config.security.failureLimit`) counts its failed requests (429 `RATE_LIMITED`). */
  readonly failureLimited: boolean
  /** Whether a Redis outage answers 503 `RATE_LIMIT_UNAVAILABLE` there (a policy with `skipOnError: false`). */
  readonly storeOutage: boolean
}

/**
 * What keelSecurity's request limits do, as `app.routeLimits` (read-only, frozen).
 * @see docs/security.md#approutelimits
 */
export interface KeelRouteLimits {
  /** The rate-limit header dialects limited routes send (`rateLimit.headers`); both false when it sends none. */
  readonly headers: { readonly draft: boolean; readonly legacy: boolean }
  /**
   * How the route is limited, `null` when it is not (no policy, `rateLimit: false`, an exempt prefix). Hooks of your
   * own from `app.rateLimitHook()` are not seen.
   */
  routeLimit(route: RouteOptions): KeelRouteLimit | null
}
