// strictBody: JSON bodies are validated as sent (`{"name": 123}` stays a number and fails a string schema), while
// querystring, params and headers, which are always strings on the wire, keep Fastify's coercion.
import AjvCompiler from '@fastify/ajv-compiler'
import type { FastifyInstance } from 'fastify'

type SchemaControllerOptions = Parameters<FastifyInstance['setSchemaController']>[0]
type ValidatorFactory = NonNullable<NonNullable<SchemaControllerOptions['compilersFactory']>['buildValidator']>
type BuildCompiler = ReturnType<typeof AjvCompiler>
/** What Fastify passes a validator compiler (`@fastify/ajv-compiler`'s own types say less than it receives). */
interface RouteSchema {
  readonly httpPart?: string
}
type RouteCompiler = (route: RouteSchema) => unknown

/**
 * Fastify's own validator builder, `@fastify/ajv-compiler` with the app's `ajv` server options, built twice: body
 * schemas are compiled with `coerceTypes: false`, every other part as Fastify does.
 */
export function strictBodyValidatorFactory(): ValidatorFactory {
  const coercing = AjvCompiler()
  const strict = AjvCompiler()
  const build: BuildCompiler = function keelStrictBodyCompilers(externalSchemas, options) {
    const others = coercing(externalSchemas, options) as unknown as RouteCompiler
    const body = strict(externalSchemas, {
      ...options,
      customOptions: { ...options?.customOptions, coerceTypes: false },
    } as typeof options) as unknown as RouteCompiler
    const compile: RouteCompiler = (route) => (route.httpPart === 'body' ? body(route) : others(route))
    return compile as unknown as ReturnType<BuildCompiler>
  }
  return build as ValidatorFactory
}
