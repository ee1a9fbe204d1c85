import { configCodes } from '../internal/codes.js'

/**
 * Codes of the `KeelConfigError`s thrown at register time for misuse of the OpenAPI plugin. It sends no HTTP errors
 * of its own.
 * @see docs/openapi.md
 */
export const OPENAPI_CONFIG_CODES = configCodes({
  KEEL_ERR_OPENAPI_INVALID_OPTION: {
    when: 'the options are not an object, an option has the wrong type, or an option name is unknown',
    fix: 'pass only the options listed in docs/openapi.md, each of its documented type',
  },
  KEEL_ERR_OPENAPI_SWAGGER_MISSING: {
    when: 'the optional peer dependency `@fastify/swagger` is not installed',
    fix: '`npm install @fastify/swagger`',
  },
  KEEL_ERR_OPENAPI_ALREADY_REGISTERED: {
    when: '`@fastify/swagger` (or keelOpenApi) is already registered in this app (`app.swagger` exists)',
    fix: 'let keelOpenApi register `@fastify/swagger`: move its options into keelOpenApi’s',
  },
})

/** A code of {@link OPENAPI_CONFIG_CODES}. */
export type OpenApiConfigCode = keyof typeof OPENAPI_CONFIG_CODES
