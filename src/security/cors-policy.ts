// The typed contract through which other plugins see what keelSecurity allows cross-origin, instead of reading its
// options or internals: `app.corsPolicy`. keelAuth's refresh cookie checks `Origin` against it. This file imports
// nothing, so a plugin that reads the contract does not take in keelSecurity's other types.

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
