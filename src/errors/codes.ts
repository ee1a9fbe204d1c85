import { type ConfigCodeInfo, configCodes, type ResponseCodeInfo, responseCodes } from '../internal/codes.js'

/**
 * The machine codes the errors plugin puts in problem documents, and how errors raised by Fastify and
 * the official plugins map onto them. Documented as tables in docs/errors.md; a test keeps them in sync.
 */

/** One entry of a response-code registry: the HTTP status it goes with and when it is sent. */
export type ErrorCodeInfo = ResponseCodeInfo
/** One entry of a config-code registry: when the `KeelConfigError` is thrown and how to fix it. */
export type { ConfigCodeInfo }

/**
 * Every `code` the errors plugin itself assigns. Codes of `HttpError`s you throw are yours; statuses
 * without a more specific code get the status title in SCREAMING_SNAKE (`FORBIDDEN`, `CONFLICT`, …).
 * @see docs/errors.md
 */
export const ERROR_CODES = responseCodes({
  VALIDATION_FAILED: { status: 400, when: 'the body, querystring, params or headers fail the route schema' },
  MALFORMED_JSON: {
    status: 400,
    when: 'a JSON body cannot be parsed, or holds a `__proto__` / `constructor.prototype` key',
  },
  EMPTY_JSON_BODY: { status: 400, when: 'the body is empty while `content-type` is `application/json`' },
  INVALID_CONTENT_LENGTH: { status: 400, when: '`content-length` does not match the body received' },
  BAD_URL: { status: 400, when: 'the URL cannot be decoded (only with `frameworkErrors`, see Recipes)' },
  ROUTE_NOT_FOUND: { status: 404, when: 'no route matches the method and URL' },
  PAYLOAD_TOO_LARGE: { status: 413, when: 'the body is larger than `bodyLimit`' },
  PARAM_TOO_LONG: {
    status: 414,
    when: 'a path parameter is longer than `maxParamLength` (only with `frameworkErrors`, see Recipes)',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, when: 'no content-type parser accepts the request `content-type`' },
  TOKEN_MISSING: { status: 401, when: '`@fastify/jwt` found no token in the header or cookie' },
  TOKEN_EXPIRED: { status: 401, when: '`@fastify/jwt`: the token has expired' },
  TOKEN_INVALID: {
    status: 401,
    when: '`@fastify/jwt`: the token is malformed, unsigned, untrusted or fails verification (400 for a malformed header)',
  },
  RATE_LIMITED: { status: 429, when: '`@fastify/rate-limit` (or any error with status 429 and no own code)' },
  SERVICE_OVERLOADED: {
    status: 503,
    when: '`@fastify/under-pressure` sheds load (event loop, heap, RSS or failing health check)',
  },
  HANDLER_TIMEOUT: { status: 503, when: 'a route exceeded Fastify `handlerTimeout`' },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    when: 'anything thrown without an HTTP status (plain `Error`, string, `null`)',
  },
})

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES

/**
 * Codes that Fastify core and the official plugins put on their errors (`FST_*`), mapped to readable
 * codes. The HTTP status of the original error is always kept.
 * @see docs/errors.md
 */
export const FOREIGN_CODE_MAP: Readonly<Record<string, ErrorCode>> = Object.freeze({
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_JSON_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'PARAM_TOO_LONG',
  FST_ERR_HANDLER_TIMEOUT: 'HANDLER_TIMEOUT',
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'TOKEN_MISSING',
  FST_JWT_NO_AUTHORIZATION_IN_COOKIE: 'TOKEN_MISSING',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'TOKEN_INVALID',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'TOKEN_INVALID',
  FAST_JWT_MISSING_SIGNATURE: 'TOKEN_INVALID',
  FST_JWT_BAD_REQUEST: 'TOKEN_INVALID',
  FST_JWT_BAD_COOKIE_REQUEST: 'TOKEN_INVALID',
  FST_UNDER_PRESSURE: 'SERVICE_OVERLOADED',
})

/**
 * Errors about misusing the errors plugin, thrown at boot as `KeelConfigError`.
 * @see docs/errors.md
 */
export const ERRORS_CONFIG_CODES = configCodes({
  KEEL_ERR_ERRORS_INVALID_OPTION: {
    when: 'the options are not an object, an option has the wrong type, or an option name is unknown',
    fix: 'pass only `exposeInternalErrors` (boolean), `typeBaseUri` (absolute URI) and `transform` (function)',
  },
  KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI: {
    when: '`typeBaseUri` is not an absolute URI',
    fix: 'use e.g. `https://errors.example.com`',
  },
  KEEL_ERR_ERRORS_ALREADY_REGISTERED: {
    when: '`keelErrors` is registered twice in one context',
    fix: 'register it once, at the root, before your routes',
  },
  KEEL_ERR_ERRORS_ERROR_HANDLER_SET: {
    when: 'an error handler was already set in the context `keelErrors` is registered in, and Fastify refuses a second one (Fastify 6, or `allowErrorHandlerOverride: false`)',
    fix: 'remove your root `setErrorHandler`, or set it in the plugin that holds your routes and rethrow to keel',
  },
  KEEL_ERR_ERRORS_NOT_FOUND_HANDLER_SET: {
    when: 'a not-found handler was already set at the root before `keelErrors`',
    fix: 'remove your root `setNotFoundHandler`, or throw `httpErrors.notFound()` from a prefixed one',
  },
})

/** A code of {@link ERRORS_CONFIG_CODES}. */
export type ErrorsConfigCode = keyof typeof ERRORS_CONFIG_CODES
