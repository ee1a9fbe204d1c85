/**
 * Machine codes of the HTTP errors the security plugin sends to clients, with their status.
 * Documented in the "Error codes" table of docs/security.md; a test keeps the two in sync.
 * @see docs/security.md
 */
export const securityErrorCodes = {
  /** 429: the client used up its request budget (global, route or failure limit). */
  RATE_LIMITED: 429,
  /** 403: the client kept sending requests after being limited and reached the route's `ban` threshold. */
  RATE_LIMIT_BANNED: 403,
  /** 503: the rate-limit store (Redis) failed or timed out and `skipOnError` is `false`. */
  RATE_LIMIT_UNAVAILABLE: 503,
} as const

/** One of the HTTP error codes in {@link securityErrorCodes}. */
export type SecurityErrorCode = keyof typeof securityErrorCodes

/**
 * Codes of the {@link KeelConfigError}s thrown at register time for misuse of the security plugin.
 * @see docs/security.md
 */
export const securityConfigErrorCodes = {
  /** `keelSecurity`, `@fastify/cors` or `@fastify/rate-limit` is already registered in this app. */
  KEEL_ERR_SECURITY_ALREADY_REGISTERED:
    'register keelSecurity once, and not next to its own @fastify/cors or @fastify/rate-limit',
  /** An option has the wrong type or an unknown name. */
  KEEL_ERR_SECURITY_INVALID_OPTION: 'fix the option named in the message',
  /** `cors.origins` holds something that is not a serialized origin (`scheme://host[:port]`). */
  KEEL_ERR_SECURITY_CORS_ORIGIN: "write origins as `https://host[:port]`: lowercase, no path, no trailing '/'",
  /** `cors.credentials: true` together with `origins: '*'`. */
  KEEL_ERR_SECURITY_CORS_CREDENTIALS_WILDCARD: 'list the origins that may send credentials',
  /** A CSP directive is a function (per-request nonce), which precomputed headers cannot honour. */
  KEEL_ERR_SECURITY_DYNAMIC_CSP: 'use static directives, or register @fastify/helmet yourself with helmet: false',
  /** A route's `config.security` is malformed. */
  KEEL_ERR_SECURITY_ROUTE_CONFIG: 'fix the route config named in the message',
} as const

/** One of the configuration error codes in {@link securityConfigErrorCodes}. */
export type SecurityConfigErrorCode = keyof typeof securityConfigErrorCodes
