import { configCodes } from '../internal/codes.js'

/**
 * Errors about misusing the request-id plugin, thrown at boot as `KeelConfigError`. The plugin sends
 * no error responses of its own. Documented as a table in docs/request-id.md; a test keeps them in sync.
 * @see docs/request-id.md
 */
export const REQUEST_ID_CONFIG_CODES = configCodes({
  KEEL_ERR_REQUEST_ID_INVALID_OPTION: {
    when: 'the options are not an object, an option has the wrong type, or an option name is unknown',
    fix: 'pass only `header` (string), `trustIncoming` (boolean), `generate` and `validate` (functions)',
  },
  KEEL_ERR_REQUEST_ID_INVALID_HEADER: {
    when: '`header` is not a valid HTTP header name',
    fix: 'use a token such as `x-request-id` or `x-correlation-id`',
  },
  KEEL_ERR_REQUEST_ID_INVALID_GENERATOR: {
    when: '`generate()` did not return 1..1024 visible ASCII characters when called at boot',
    fix: 'return a string that is safe in a header and a log line, e.g. `crypto.randomUUID()`',
  },
  KEEL_ERR_REQUEST_ID_FASTIFY_HEADER_OPTION: {
    when: "Fastify's own `requestIdHeader` option is set; it would copy unvalidated incoming ids",
    fix: 'remove `requestIdHeader` from the Fastify options and use the plugin `header` option',
  },
  KEEL_ERR_REQUEST_ID_ALREADY_REGISTERED: {
    when: '`keelRequestId` is registered twice in one context',
    fix: 'register it once, at the root, first',
  },
})

/** A code of {@link REQUEST_ID_CONFIG_CODES}. */
export type RequestIdConfigCode = keyof typeof REQUEST_ID_CONFIG_CODES
