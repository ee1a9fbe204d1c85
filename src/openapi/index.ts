export { OPENAPI_CONFIG_CODES, type OpenApiConfigCode } from './codes.js'
export {
  defaultOperationId,
  type KeelOpenApiInfo,
  type KeelOpenApiObject,
  type KeelOpenApiOptions,
  type KeelOpenApiServer,
  type KeelSwaggerOptions,
  type KeelSwaggerRouteTransformInput,
} from './options.js'
export { keelOpenApi, keelOpenApi as default } from './plugin.js'
