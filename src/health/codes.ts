import { configCodes, responseCodes } from '../internal/codes.js'

/**
 * Machine codes of the HTTP errors the health plugin sends (problem documents when `keelErrors` is registered).
 * Documented as a table in docs/health.md; a test keeps the two in sync.
 * @see docs/health.md
 */
export const HEALTH_ERROR_CODES = responseCodes({
  SERVICE_OVERLOADED: {
    status: 503,
    when: 'the process is over an `underPressure` limit (load shedding); sent with `Retry-After` and a `retryAfter` member',
  },
})

/** One of {@link HEALTH_ERROR_CODES}. */
export type HealthErrorCode = keyof typeof HEALTH_ERROR_CODES

/**
 * Codes of the `KeelConfigError`s thrown for misuse of the health plugin (at register time or by `addCheck`).
 * @see docs/health.md
 */
export const HEALTH_CONFIG_CODES = configCodes({
  KEEL_ERR_HEALTH_INVALID_OPTION: {
    when: 'an option of `keelHealth` has a wrong type or value, or is unknown',
    fix: 'see Options; the message names the option and the fix',
  },
  KEEL_ERR_HEALTH_ALREADY_REGISTERED: {
    when: '`keelHealth` was registered twice in one context (`app.health` exists)',
    fix: 'register it once',
  },
  KEEL_ERR_HEALTH_UNDER_PRESSURE_CONFLICT: {
    when: '`@fastify/under-pressure` is already registered and `underPressure` is not `false`',
    fix: 'pass its limits as `underPressure`, or set `underPressure: false`',
  },
  KEEL_ERR_HEALTH_INVALID_CHECK: {
    when: '`addCheck` got a bad name, function or option',
    fix: 'fix the call; the message names the argument',
  },
  KEEL_ERR_HEALTH_DUPLICATE_CHECK: {
    when: '`addCheck` got a name that is already registered',
    fix: 'use another name',
  },
})

/** One of {@link HEALTH_CONFIG_CODES}. */
export type HealthConfigCode = keyof typeof HEALTH_CONFIG_CODES
