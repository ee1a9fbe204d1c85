import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { addSecuritySchemes, finishDocument, KEEL_SCHEMAS, ROUTE_MARK } from './document.js'
import { appFacts } from './facts.js'
import { loadSwagger } from './load-swagger.js'
import {
  type KeelOpenApiObject,
  type KeelOpenApiOptions,
  type KeelSwaggerRouteTransformInput,
  type ResolvedOpenApiOptions,
  read,
  resolveOpenApiOptions,
} from './options.js'

/** Component names from `$id`s (keel's own without their `Keel` prefix), never `def-N` for a schema that has one. */
function componentName(json: KeelOpenApiObject, _base: unknown, _fragment: unknown, i: number): string {
  const id = typeof json.$id === 'string' ? json.$id.replace(/#$/, '') : ''
  const name = KEEL_SCHEMAS[id] ?? id.replace(/[^A-Za-z0-9._-]/g, '_')
  return name === '' ? `def-${i}` : name
}

/** @fastify/swagger's options: the document, keel's transforms around the user's, component names from `$id`. */
function swaggerOptions(app: FastifyInstance, config: ResolvedOpenApiOptions): Record<string, unknown> {
  const routes = new Map<number, RouteOptions>()
  const marks = new WeakMap<object, number>()
  function transform(input: KeelSwaggerRouteTransformInput) {
    addSecuritySchemes(input.openapiObject as Record<string, unknown>, appFacts(app), config)
    const own = config.transform?.(input) ?? {}
    const route = input.route as unknown as RouteOptions
    let mark = marks.get(route)
    if (mark === undefined) {
      mark = routes.size
      marks.set(route, mark)
      routes.set(mark, route)
    }
    return { url: own.url ?? input.url, schema: { ...(own.schema ?? input.schema), [ROUTE_MARK]: mark } }
  }
  function transformObject(input: { openapiObject: KeelOpenApiObject }) {
    const document = finishDocument(input.openapiObject as Record<string, unknown>, routes, appFacts(app), config)
    return config.transformObject?.({ openapiObject: document }) ?? document
  }
  return {
    ...config.swagger,
    openapi: config.document,
    refResolver: { buildLocalReference: componentName },
    transform,
    transformObject,
  }
}

const plugin: FastifyPluginAsync<KeelOpenApiOptions> = async (app, opts) => {
  const config = resolveOpenApiOptions(opts)
  if (app.hasDecorator('swagger')) {
    throw read.misuse(
      'KEEL_ERR_OPENAPI_ALREADY_REGISTERED',
      '@fastify/swagger is already registered in this app (app.swagger exists)',
      "let keelOpenApi register it: move @fastify/swagger's options into keelOpenApi's",
    )
  }
  const swagger = await loadSwagger(read)
  await app.register(swagger, swaggerOptions(app, config))
}

/**
 * An OpenAPI 3.0 or 3.1 document that says what keel really sends: registers `@fastify/swagger` (an optional peer
 * dependency) and adds to each operation what keel knows about its route: `security` from `app.authenticate` and
 * `app.authorize(...)`, the problem responses keel can send there (`application/problem+json`, one `ProblemDetails`
 * component, the codes of each status), the request id, rate-limit, `Retry-After` and `Link` headers, and an
 * `operationId`. A route's own responses, `security` and `operationId` win. Register it before the routes; read the
 * document with `app.swagger()` after `ready()`, or serve it with `@fastify/swagger-ui`, Scalar or Redoc.
 *
 * @example
 * await app.register(keelOpenApi, {
 *   info: { title: 'Users API', version: '1.0.0', license: { name: 'MIT' } },
 *   servers: [{ url: 'https://api.example.com' }],
 * })
 * @see docs/openapi.md
 */
export const keelOpenApi = fp(plugin, { name: 'fastify-keel-openapi', fastify: FASTIFY_VERSIONS })
export default keelOpenApi
