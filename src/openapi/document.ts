// The finishing pass over the document @fastify/swagger built: each operation gets what keel knows about its route
// (security, problem responses, headers, operationId), the document the components those refer to. What the route
// declared itself is never replaced: a declared response, `security` or `operationId` wins.
import { STATUS_CODES } from 'node:http'
import type { RouteOptions } from 'fastify'
import { PROBLEM_MEDIA_TYPE } from '../errors/problem-responses.js'
import type { AppFacts } from './facts.js'
import type { ResolvedOpenApiOptions } from './options.js'
import { problemStatuses, type RouteFacts } from './responses.js'

type Json = Record<string, unknown>

/** The operation extension through which keel's transform names the route of an operation; removed here. */
export const ROUTE_MARK = 'x-keel-route'

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
const PROBLEM_REF = '#/components/schemas/ProblemDetails'
const PAGE_REFS = ['#/components/schemas/PaginationMeta', '#/components/schemas/CursorPaginationMeta']
/** keel's own schemas, dropped from the components when nothing refers to them. */
export const KEEL_SCHEMAS: Readonly<Record<string, string>> = Object.freeze({
  ProblemDetails: 'ProblemDetails',
  KeelPaginationMeta: 'PaginationMeta',
  KeelCursorPaginationMeta: 'CursorPaginationMeta',
})

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` })

/** `X-Request-Id` for `x-request-id`. */
function headerName(lowercase: string): string {
  return lowercase.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase())
}

/** The response headers keel declares, by component name. */
function headerComponents(facts: AppFacts): Json {
  const headers: Json = {
    'Retry-After': {
      description: 'Seconds to wait before retrying',
      schema: { type: 'integer', minimum: 0 },
    },
    Link: { description: 'RFC 8288 links to the next page (`rel="next"`)', schema: { type: 'string' } },
  }
  if (facts.requestId !== undefined) {
    headers[headerName(facts.requestId.header)] = {
      description: 'The request id; equals `requestId` in problem documents',
      schema: { type: 'string' },
    }
  }
  const { draft, legacy } = facts.limits?.headers ?? { draft: false, legacy: false }
  if (draft) {
    headers['RateLimit-Policy'] = {
      description: 'The rate-limit policies (structured field)',
      schema: { type: 'string' },
    }
    headers.RateLimit = { description: 'What each policy has left (structured field)', schema: { type: 'string' } }
  }
  if (legacy) {
    headers['RateLimit-Limit'] = { description: 'Requests allowed in the window', schema: { type: 'integer' } }
    headers['RateLimit-Remaining'] = { description: 'Requests left in the window', schema: { type: 'integer' } }
    headers['RateLimit-Reset'] = { description: 'Seconds until the window resets', schema: { type: 'integer' } }
  }
  return headers
}

function rateLimitHeaders(facts: AppFacts): string[] {
  const { draft, legacy } = facts.limits?.headers ?? { draft: false, legacy: false }
  return [
    ...(draft ? ['RateLimit-Policy', 'RateLimit'] : []),
    ...(legacy ? ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] : []),
  ]
}

function addHeaders(response: Json, names: readonly string[]): void {
  if (names.length === 0 || typeof response.$ref === 'string') return
  const headers = isObject(response.headers) ? response.headers : {}
  for (const name of names) {
    const taken = Object.keys(headers).some((key) => key.toLowerCase() === name.toLowerCase())
    if (!taken) headers[name] = headerRef(name)
  }
  response.headers = headers
}

function describeAccess(operation: Json, known: RouteFacts, options: ResolvedOpenApiOptions): void {
  if (operation.security === undefined) {
    operation.security = known.access === null ? [] : [{ [options.bearerScheme]: [] }]
  }
  const rules = known.access?.authorize ?? []
  if (rules.length > 0 && operation['x-keel-authorize'] === undefined) {
    operation['x-keel-authorize'] = rules.map((rule) => ({
      roles: [...rule.roles],
      permissions: [...rule.permissions],
      check: rule.check,
    }))
  }
}

function addProblems(
  operation: Json,
  route: RouteOptions,
  method: string,
  facts: AppFacts,
  known: RouteFacts,
  extra: ReadonlyMap<number, readonly string[]>,
): void {
  const responses = isObject(operation.responses) ? operation.responses : {}
  for (const { status, codes, retryAfter } of problemStatuses(route, method, facts, known, extra)) {
    const key = String(status)
    if (responses[key] !== undefined || responses[`${key[0]}XX`] !== undefined) continue
    const response: Json = {
      description: `${STATUS_CODES[status] ?? key}. \`code\`: ${codes.map((code) => `\`${code}\``).join(', ')}`,
      content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } },
    }
    if (retryAfter) response.headers = { 'Retry-After': headerRef('Retry-After') }
    responses[key] = response
  }
  operation.responses = responses
}

function fixQueryParameters(operation: Json): void {
  if (!Array.isArray(operation.parameters)) return
  for (const parameter of operation.parameters as Json[]) {
    if (parameter.in === 'query' && isObject(parameter.schema) && parameter.schema.default !== undefined) {
      delete parameter.required
    }
  }
}

/** The success statuses whose schema is a pagination envelope of keel's (a `pagination` member with its `$id`). */
function pagedStatuses(route: RouteOptions): Set<string> {
  const responses = ((route.schema ?? {}) as { response?: Record<string, unknown> }).response ?? {}
  const paged = new Set<string>()
  for (const [status, schema] of Object.entries(responses)) {
    const meta = (schema as { properties?: { pagination?: { $id?: unknown } } } | null)?.properties?.pagination?.$id
    if (typeof meta === 'string' && KEEL_SCHEMAS[meta] !== undefined) paged.add(status.toUpperCase())
  }
  return paged
}

function addResponseHeaders(operation: Json, route: RouteOptions, facts: AppFacts, known: RouteFacts): void {
  const pagedByRoute = pagedStatuses(route)
  const every = facts.requestId === undefined ? [] : [headerName(facts.requestId.header)]
  const limited = known.limit?.rateLimited === true ? rateLimitHeaders(facts) : []
  for (const [status, response] of Object.entries(isObject(operation.responses) ? operation.responses : {})) {
    if (!isObject(response)) continue
    const ratelimit = status === '429' && known.limit !== null ? rateLimitHeaders(facts) : limited
    const paged =
      status.startsWith('2') &&
      (pagedByRoute.has(status) || PAGE_REFS.some((ref) => JSON.stringify(response).includes(`"${ref}"`)))
    addHeaders(response, [...every, ...ratelimit, ...(paged ? ['Link'] : [])])
  }
}

/** Refers to schema names anywhere under `value`. */
function collectRefs(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) for (const item of value) collectRefs(item, found)
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.add(item)
      else collectRefs(item, found)
    }
  }
}

/** Drops keel's schemas that nothing refers to (PaginationMeta in an app with cursor pages only). */
function pruneKeelSchemas(document: Json): void {
  const components = document.components as Json
  const schemas = isObject(components.schemas) ? components.schemas : {}
  for (;;) {
    const refs = new Set<string>()
    const { schemas: _own, ...rest } = components
    collectRefs({ ...document, components: rest }, refs)
    for (const [name, schema] of Object.entries(schemas)) {
      if (refs.has(`#/components/schemas/${name}`)) collectRefs(schema, refs)
    }
    const unused = Object.values(KEEL_SCHEMAS).filter(
      (name) => schemas[name] !== undefined && !refs.has(`#/components/schemas/${name}`),
    )
    if (unused.length === 0) return
    for (const name of unused) delete schemas[name]
  }
}

/**
 * Adds keel's security schemes to the document. Called by the route transform too: @fastify/swagger looks up the
 * schemes a route's own `security` names while it builds that route's operation.
 */
export function addSecuritySchemes(document: Json, facts: AppFacts, options: ResolvedOpenApiOptions): void {
  const components = isObject(document.components) ? document.components : {}
  document.components = components
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {}
  if (facts.auth !== undefined) {
    schemes[options.bearerScheme] ??= {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: facts.auth.bearerFormat,
      description: 'An access token from keel (`Authorization: Bearer <JWT>`)',
    }
    const cookie = facts.auth.refreshCookie
    if (cookie !== null) {
      schemes[options.cookieScheme] ??= {
        type: 'apiKey',
        in: 'cookie',
        name: cookie.name,
        description: `The refresh token cookie (path \`${cookie.path}\`); unsafe methods there need the \`${cookie.csrfHeader}\` header`,
      }
    }
  }
  if (Object.keys(schemes).length > 0) components.securitySchemes = schemes
}

function addComponents(document: Json, facts: AppFacts, options: ResolvedOpenApiOptions): void {
  addSecuritySchemes(document, facts, options)
  const components = document.components as Json
  const headers = isObject(components.headers) ? components.headers : {}
  components.headers = { ...headerComponents(facts), ...headers }
}

/** Drops the header components no response refers to. */
function pruneHeaders(document: Json): void {
  const components = document.components as Json
  const headers = components.headers as Json
  const refs = new Set<string>()
  collectRefs(document.paths, refs)
  for (const name of Object.keys(headers)) {
    if (!refs.has(`#/components/headers/${name}`)) delete headers[name]
  }
  if (Object.keys(headers).length === 0) delete components.headers
}

/** Each operation of the document with the route that made it (`undefined`: a route keel's transform did not see). */
function* operations(document: Json): Generator<[Json, string, string]> {
  for (const [path, item] of Object.entries(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue
    for (const method of METHODS) {
      const operation = item[method]
      if (!isObject(operation)) continue
      // One route with several methods shares one operation object: each method gets its own copy.
      const own = structuredClone(operation)
      item[method] = own
      yield [own, method.toUpperCase(), path]
    }
  }
}

/** Finishes the document (in place) with what keel knows; `routes` are the routes by their mark. */
export function finishDocument(
  document: Json,
  routes: ReadonlyMap<number, RouteOptions>,
  facts: AppFacts,
  options: ResolvedOpenApiOptions,
): Json {
  addComponents(document, facts, options)
  const ids = new Set<string>()
  const unnamed: Array<[Json, string, RouteOptions]> = []
  for (const [operation, method] of operations(document)) {
    const route = routes.get(operation[ROUTE_MARK] as number)
    delete operation[ROUTE_MARK]
    if (typeof operation.operationId === 'string') ids.add(operation.operationId)
    if (route === undefined) continue
    const known: RouteFacts = {
      access: facts.auth?.routeAccess(route) ?? null,
      limit: facts.limits?.routeLimit(route) ?? null,
      shed: facts.health?.shedding === true && !facts.health.isProbe(route),
    }
    if (facts.auth !== undefined) describeAccess(operation, known, options)
    if (options.errorResponses && facts.problems) addProblems(operation, route, method, facts, known, options.problems)
    fixQueryParameters(operation)
    addResponseHeaders(operation, route, facts, known)
    if (operation.operationId === undefined && options.operationId !== false) unnamed.push([operation, method, route])
  }
  for (const [operation, method, route] of unnamed) {
    const base = (options.operationId as (method: string, url: string) => string)(method, route.url)
    let id = base
    for (let n = 2; ids.has(id); n++) id = `${base}${n}`
    ids.add(id)
    operation.operationId = id
  }
  pruneKeelSchemas(document)
  pruneHeaders(document)
  return document
}
