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
 * Every `code` the errors plugin owns. Codes of `HttpError`s you throw are yours; statuses without a more specific
 * code get the status title in SCREAMING_SNAKE (`FORBIDDEN`, `CONFLICT`, …). Codes other subpaths own
 * (`TOKEN_*`, `RATE_LIMITED`, `SERVICE_OVERLOADED`) are in their registries; see {@link FOREIGN_CODE_MAP}.
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
  BAD_URL: { status: 400, when: 'the URL cannot be decoded (with `problemServerOptions`, see Recipes)' },
  MALFORMED_REQUEST: {
    status: 400,
    when: "Node's HTTP parser refused the request: bad framing, an invalid header (with `problemServerOptions`)",
  },
  ROUTE_NOT_FOUND: { status: 404, when: 'no route matches the method and URL' },
  REQUEST_TIMEOUT: {
    status: 408,
    when: "the request was not received within Node's `requestTimeout` (with `problemServerOptions`)",
  },
  PAYLOAD_TOO_LARGE: { status: 413, when: 'the body is larger than `bodyLimit`' },
  PARAM_TOO_LONG: {
    status: 414,
    when: 'a path parameter is longer than `maxParamLength` (with `problemServerOptions`, see Recipes)',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, when: 'no content-type parser accepts the request `content-type`' },
  HEADERS_TOO_LARGE: {
    status: 431,
    when: "the request line and headers are larger than Node's `maxHeaderSize` (with `problemServerOptions`)",
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
 * Codes that Fastify core and the official plugins put on their errors (`FST_*`), mapped to readable codes. A
 * mapped error is sent with the status of its readable code, which is the same wherever that code is sent.
 * @see docs/errors.md
 */
export const FOREIGN_CODE_MAP: Readonly<Record<string, string>> = Object.freeze({
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
 * The status of each code other subpaths own that a mapped error can get: `fastify-keel/auth` owns `TOKEN_*`,
 * `/security` `RATE_LIMITED`, `/health` `SERVICE_OVERLOADED`. Written here so this subpath imports none of them;
 * a test holds every entry to the owner's registry.
 */
export const OWNED_ELSEWHERE: Readonly<Record<string, number>> = Object.freeze({
  TOKEN_MISSING: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  RATE_LIMITED: 429,
  SERVICE_OVERLOADED: 503,
})

/**
 * Errors about misusing the errors plugin, thrown at boot as `KeelConfigError`.
 * @see docs/errors.md
 */
export const ERRORS_CONFIG_CODES = configCodes({
  KEEL_ERR_ERRORS_INVALID_OPTION: {
    when: 'the options are not an object, an option has the wrong type, or an option name is unknown',
    fix: 'pass only the options listed in docs/errors.md, each of its documented type',
  },
  KEEL_ERR_ERRORS_INVALID_TYPE_BASE_URI: {
    when: '`typeBaseUri` is not an absolute URI',
    fix: 'use e.g. `https://errors.example.com`',
  },
  KEEL_ERR_ERRORS_ALREADY_REGISTERED: {
    when: '`keelErrors` is registered twice in one context',
    fix: 'register it once, at the root, before your routes',
  },
  KEEL_ERR_ERRORS_NOT_FOUND_HANDLER_SET: {
    when: 'a not-found handler was already set at the root before `keelErrors`',
    fix: 'remove your root `setNotFoundHandler`, or throw `httpErrors.notFound()` from a prefixed one',
  },
})

/** A code of {@link ERRORS_CONFIG_CODES}. */
export type ErrorsConfigCode = keyof typeof ERRORS_CONFIG_CODES
