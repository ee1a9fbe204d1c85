import { configCodes, responseCodes } from '../internal/codes.js'

/**
 * Codes of the HTTP errors the security plugin sends to clients, with their one status. Documented in the
 * "Error codes" table of docs/security.md; a test keeps the two in sync.
 * @see docs/security.md
 */
export const SECURITY_ERROR_CODES = responseCodes({
  RATE_LIMITED: {
    status: 429,
    when: 'a policy (app, route or failure limit) refused the request, or its key is blocked; type `…#quota-exceeded`, `violated-policies` and the headers name the refusing policies',
  },
  RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    when: 'Redis failed or did not answer within `storeTimeout` and a policy has `skipOnError: false`; type `…#temporary-reduced-capacity`',
  },
})

/** One of the HTTP error codes in {@link SECURITY_ERROR_CODES}. */
export type SecurityErrorCode = keyof typeof SECURITY_ERROR_CODES

/**
 * Codes of the {@link KeelConfigError}s thrown at register time, or when a route is declared, for misuse of the
 * security plugin.
 * @see docs/security.md
 */
export const SECURITY_CONFIG_CODES = configCodes({
  KEEL_ERR_SECURITY_INVALID_OPTION: {
    when: 'an option has the wrong type or an unknown name, or helmet refuses it',
    fix: 'fix the option named in the message; the docs list every option with its default',
  },
  KEEL_ERR_SECURITY_ALREADY_REGISTERED: {
    when: '`keelSecurity` is registered twice, or next to your own `@fastify/cors` / `@fastify/rate-limit`',
    fix: 'register it once; turn a part off with `cors: false` / `rateLimit: false`',
  },
  KEEL_ERR_SECURITY_CORS_ORIGIN: {
    when: "an entry of `cors.origins` is not a serialized origin, or `'*'` is mixed into the list",
    fix: 'write `https://host[:port]`: lowercase, no path, no trailing slash',
  },
  KEEL_ERR_SECURITY_CORS_CREDENTIALS_WILDCARD: {
    when: "`cors.credentials: true` together with `cors.origins: '*'`",
    fix: 'list the origins that may send credentials',
  },
  KEEL_ERR_SECURITY_DYNAMIC_CSP: {
    when: 'a CSP directive is a function (a per-request nonce), or `enableCSPNonces` is set',
    fix: 'use static sources or hashes, or turn keel headers off for the route and register `@fastify/helmet` there',
  },
  KEEL_ERR_SECURITY_ROUTE_CONFIG: {
    when: "a route's `config.security` is malformed (a bad policy, an unknown app policy name), or it sets `@fastify/rate-limit`'s `config.rateLimit` to anything but `false`",
    fix: 'fix the route config named in the message',
  },
})

/** One of the configuration error codes in {@link SECURITY_CONFIG_CODES}. */
export type SecurityConfigCode = keyof typeof SECURITY_CONFIG_CODES
