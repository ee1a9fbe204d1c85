// The typed contract through which other plugins see what keelSecurity allows cross-origin, instead of reading its
// options or internals: `app.corsPolicy`. keelAuth's refresh cookie checks `Origin` against it.
import type { ResolvedCors } from './options.js'

/**
 * What keelSecurity's CORS lets browsers do cross-origin, as `app.corsPolicy` (read-only, frozen).
 * @see docs/security.md#appcorspolicy
 */
export interface KeelCorsPolicy {
  /** The allowed origins (serialized, `scheme://host[:port]`), or `'*'`; empty when CORS is off. */
  readonly origins: ReadonlySet<string> | '*'
  /** Whether cross-origin requests may carry credentials (cookies). */
  readonly credentials: boolean
}

const NONE: KeelCorsPolicy = Object.freeze({ origins: Object.freeze(new Set<string>()), credentials: false })

/** The policy of the resolved CORS options (`false`: CORS off, no origin allowed). */
export function corsPolicyOf(cors: ResolvedCors | false): KeelCorsPolicy {
  if (cors === false) return NONE
  // A copy: a plugin holding the policy can never change what @fastify/cors allows.
  return Object.freeze({ origins: cors.origins === '*' ? '*' : new Set(cors.origins), credentials: cors.credentials })
}
