// The keelOpenApi options → a frozen config, with the shared options toolkit.
import { isPlainObject, optionsReader } from '../internal/options.js'

/** Validators of keelOpenApi: messages start `fastify-keel/openapi:`, the code is `KEEL_ERR_OPENAPI_INVALID_OPTION`. */
export const read = optionsReader('openapi', 'KEEL_ERR_OPENAPI_INVALID_OPTION')

/** A JSON value of the document keel passes through as given. */
export type KeelOpenApiObject = { readonly [key: string]: unknown }

/** The document's `info` (OpenAPI Info Object). */
export interface KeelOpenApiInfo {
  title: string
  version: string
  description?: string
  summary?: string
  termsOfService?: string
  contact?: { name?: string; url?: string; email?: string }
  /** Linters (Redocly's `info-license`) ask for one. */
  license?: { name: string; url?: string; identifier?: string }
  [extension: `x-${string}`]: unknown
}

/** One entry of the document's `servers`. */
export interface KeelOpenApiServer {
  url: string
  description?: string
  variables?: KeelOpenApiObject
}

/** What `transform` and `transformObject` of {@link KeelOpenApiOptions.swagger} receive, as @fastify/swagger passes it. */
export interface KeelSwaggerRouteTransformInput {
  schema: KeelOpenApiObject | undefined
  url: string
  route: { readonly method: string | readonly string[]; readonly url: string } & KeelOpenApiObject
  openapiObject: KeelOpenApiObject
}

/** The @fastify/swagger options keelOpenApi passes on. */
export interface KeelSwaggerOptions {
  /** @fastify/swagger's `hideUntagged`. @default false */
  hideUntagged?: boolean
  /** @fastify/swagger's `hiddenTag`. @default 'X-HIDDEN' */
  hiddenTag?: string
  /** @fastify/swagger's `stripBasePath`. @default true */
  stripBasePath?: boolean
  /** @fastify/swagger's `exposeHeadRoutes`. @default false */
  exposeHeadRoutes?: boolean
  /** @fastify/swagger's `convertConstToEnum`. @default true */
  convertConstToEnum?: boolean
  /** Runs on each route before keel's derivation; its `schema` and `url` win. @default undefined */
  transform?: (input: KeelSwaggerRouteTransformInput) => { schema?: KeelOpenApiObject; url?: string }
  /** Runs on the finished document, after keel's derivation. @default undefined */
  transformObject?: (input: { openapiObject: KeelOpenApiObject }) => KeelOpenApiObject
}

/**
 * Options of `keelOpenApi`. Everything keel knows about the app (auth, limits, shedding, the request id header,
 * problem documents) is derived; these options set what only you know.
 * @see docs/openapi.md
 */
export interface KeelOpenApiOptions {
  /** The OpenAPI version of the document: a `3.0.x` or `3.1.x` version. @default '3.0.3' */
  openapi?: string
  /** The document's `info`. @default { title, version } of the app's package.json (@fastify/swagger's default) */
  info?: KeelOpenApiInfo
  /** The document's `servers` (linters ask for one); the example sets it from its listen URL. @default [] */
  servers?: readonly KeelOpenApiServer[]
  /** The document's `tags`. @default [] */
  tags?: readonly KeelOpenApiObject[]
  /** The document's `externalDocs`. @default undefined */
  externalDocs?: KeelOpenApiObject
  /** Components of your own (schemas, securitySchemes, …); yours win over keel's of the same name. @default {} */
  components?: KeelOpenApiObject
  /**
   * `operationId` of a route whose schema sets none: `false` for none, or a function of method and URL.
   * @default `getUsersById` for `GET /users/:id` (method, then each path segment capitalized, `:x` as `ByX`)
   */
  operationId?: false | ((method: string, url: string) => string)
  /** Names of the security schemes keel adds. @default { bearer: 'bearerAuth', refreshCookie: 'refreshCookie' } */
  securitySchemeNames?: { bearer?: string; refreshCookie?: string }
  /** Add the problem responses keel can send on each route. @default true */
  errorResponses?: boolean
  /**
   * Problems your own handlers or hooks can send on every route but keel's probes, by status, with their codes (e.g.
   * `{ 503: ['DATABASE_UNAVAILABLE'] }`): added to keel's responses of that status, or as a response of their own.
   * @default {}
   */
  problems?: Readonly<Record<number, readonly string[]>>
  /** Other @fastify/swagger options. @default {} */
  swagger?: KeelSwaggerOptions
}

/** {@link KeelOpenApiOptions} after validation. */
export interface ResolvedOpenApiOptions {
  readonly document: Readonly<Record<string, unknown>>
  readonly operationId: false | ((method: string, url: string) => string)
  readonly bearerScheme: string
  readonly cookieScheme: string
  readonly errorResponses: boolean
  readonly problems: ReadonlyMap<number, readonly string[]>
  readonly swagger: Readonly<Record<string, unknown>>
  readonly transform: KeelSwaggerOptions['transform']
  readonly transformObject: KeelSwaggerOptions['transformObject']
}

const KNOWN = [
  'openapi',
  'info',
  'servers',
  'tags',
  'externalDocs',
  'components',
  'operationId',
  'securitySchemeNames',
  'errorResponses',
  'problems',
  'swagger',
]
const SWAGGER_KNOWN = [
  'hideUntagged',
  'hiddenTag',
  'stripBasePath',
  'exposeHeadRoutes',
  'convertConstToEnum',
  'transform',
  'transformObject',
]
const VERSION = /^3\.[01]\.\d+$/
const SCHEME_NAME = /^[A-Za-z0-9._-]+$/

function objectOption(path: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw read.error(path, 'must be an object', value, `pass the OpenAPI ${path} object`)
  return value
}

function listOption(path: string, value: unknown, fix: string): readonly unknown[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((item) => !isPlainObject(item))) {
    throw read.error(path, 'must be a list of objects', value, fix)
  }
  return value
}

/** `getUsersById` for `GET /users/:id`: the method, then each path segment capitalized. */
export function defaultOperationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment === '*' ? 'wildcard' : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '')
  const tail = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('')
  return `${method.toLowerCase()}${tail === '' ? 'Root' : tail}`
}

function resolveDocument(o: Record<string, unknown>): Record<string, unknown> {
  const version = read.string('openapi', o.openapi, '3.0.3', { pattern: VERSION, fix: "pass '3.0.3' or '3.1.0'" })
  const info = objectOption('info', o.info)
  if (info !== undefined) {
    read.string('info.title', info.title, '', { fix: 'pass the API name' })
    read.string('info.version', info.version, '', { fix: "pass the API's version, e.g. '1.0.0'" })
    const license = objectOption('info.license', info.license)
    if (license !== undefined) read.string('info.license.name', license.name, '', { fix: "pass e.g. 'MIT'" })
  }
  const servers = listOption('servers', o.servers, "pass e.g. [{ url: 'https://api.example.com' }]")
  for (const [i, server] of (servers ?? []).entries()) {
    read.string(`servers[${i}].url`, (server as { url?: unknown }).url, '', {
      fix: "pass e.g. 'https://api.example.com'",
    })
  }
  const document: Record<string, unknown> = { openapi: version }
  if (info !== undefined) document.info = info
  if (servers !== undefined && servers.length > 0) document.servers = servers
  const tags = listOption('tags', o.tags, "pass e.g. [{ name: 'users' }]")
  if (tags !== undefined) document.tags = tags
  const externalDocs = objectOption('externalDocs', o.externalDocs)
  if (externalDocs !== undefined) document.externalDocs = externalDocs
  const components = objectOption('components', o.components)
  if (components !== undefined) document.components = components
  return document
}

function resolveProblems(value: unknown): ReadonlyMap<number, readonly string[]> {
  const problems = new Map<number, readonly string[]>()
  if (value === undefined) return problems
  if (!isPlainObject(value)) throw read.error('problems', 'must be an object', value, "pass e.g. { 503: ['DOWN'] }")
  for (const [key, codes] of Object.entries(value)) {
    const status = Number(key)
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw read.error(`problems.${key}`, 'is not a status in 400..599', key, 'use an error status, e.g. 503')
    }
    problems.set(status, read.stringList(`problems.${key}`, codes, []))
  }
  return problems
}

/** Validates the options once, at register time. */
export function resolveOpenApiOptions(opts: unknown): ResolvedOpenApiOptions {
  const o = read.root(opts, KNOWN)
  const operationId =
    o.operationId === false
      ? false
      : (read.func<(method: string, url: string) => string>('operationId', o.operationId) ?? defaultOperationId)
  const names = read.object('securitySchemeNames', o.securitySchemeNames, ['bearer', 'refreshCookie'])
  const schemeName = { pattern: SCHEME_NAME, fix: 'use letters, digits, ".", "_" or "-"' }
  const swagger = read.object('swagger', o.swagger, SWAGGER_KNOWN)
  const passThrough: Record<string, unknown> = {}
  for (const key of ['hideUntagged', 'stripBasePath', 'exposeHeadRoutes', 'convertConstToEnum']) {
    if (swagger[key] !== undefined) passThrough[key] = read.boolean(`swagger.${key}`, swagger[key], false)
  }
  const hiddenTag = read.optionalString('swagger.hiddenTag', swagger.hiddenTag)
  if (hiddenTag !== undefined) passThrough.hiddenTag = hiddenTag
  return Object.freeze({
    document: Object.freeze(resolveDocument(o)),
    operationId,
    bearerScheme: read.string('securitySchemeNames.bearer', names.bearer, 'bearerAuth', schemeName),
    cookieScheme: read.string('securitySchemeNames.refreshCookie', names.refreshCookie, 'refreshCookie', schemeName),
    errorResponses: read.boolean('errorResponses', o.errorResponses, true),
    problems: resolveProblems(o.problems),
    swagger: Object.freeze(passThrough),
    transform: read.func<KeelSwaggerOptions['transform']>('swagger.transform', swagger.transform),
    transformObject: read.func<KeelSwaggerOptions['transformObject']>(
      'swagger.transformObject',
      swagger.transformObject,
    ),
  })
}
