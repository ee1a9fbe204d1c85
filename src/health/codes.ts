/**
 * Machine codes of the HTTP errors the health plugin sends (problem documents when `keelErrors` is registered).
 * Documented as a table in docs/health.md; a test keeps the two in sync.
 * @see docs/health.md
 */
export const healthErrorCodes = Object.freeze({
  /** 503: load shedding, the process is over an `underPressure` limit; sent with `Retry-After`. */
  SERVICE_OVERLOADED: { status: 503, when: 'the process is over an `underPressure` limit (load shedding)' },
})

/** One of {@link healthErrorCodes}. */
export type HealthErrorCode = keyof typeof healthErrorCodes

/**
 * Codes of the `KeelConfigError`s thrown for misuse of the health plugin (at register time or by `addCheck`).
 * @see docs/health.md
 */
export const healthConfigErrorCodes = Object.freeze({
  KEEL_ERR_HEALTH_INVALID_OPTION: 'an option of `keelHealth` has a wrong type or value, or is unknown',
  KEEL_ERR_HEALTH_ALREADY_REGISTERED: '`keelHealth` was registered twice in one context (`app.health` exists)',
  KEEL_ERR_HEALTH_UNDER_PRESSURE_CONFLICT:
    '`@fastify/under-pressure` is already registered and `underPressure` is not `false`',
  KEEL_ERR_HEALTH_INVALID_CHECK: '`addCheck` got a bad name, function or option',
  KEEL_ERR_HEALTH_DUPLICATE_CHECK: '`addCheck` got a name that is already registered',
})

/** One of {@link healthConfigErrorCodes}. */
export type HealthConfigErrorCode = keyof typeof healthConfigErrorCodes
