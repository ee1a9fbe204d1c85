// Which problem responses keel can send on one operation, and with which codes: each status with the facts that make
// it possible. The codes come from the owners' registries, so a renamed or added code reaches the document.
import type { RouteOptions } from 'fastify'
import type { KeelRouteAccess } from '../auth/auth-policy.js'
import type { AUTH_ERROR_CODES } from '../auth/codes.js'
import type { ERROR_CODES } from '../errors/codes.js'
import type { HEALTH_ERROR_CODES } from '../health/codes.js'
import type { PAGINATION_ERROR_CODES } from '../pagination/codes.js'
import type { SECURITY_ERROR_CODES } from '../security/codes.js'
import type { KeelRouteLimit } from '../security/route-limits.js'
import type { AppFacts } from './facts.js'

/** A problem response keel adds: its status, the codes it carries, and the headers sent with it. */
export interface KeelProblemStatus {
  readonly status: number
  readonly codes: readonly string[]
  readonly retryAfter: boolean
}

/** What keel knows about one route, for one of its methods. */
export interface RouteFacts {
  readonly access: KeelRouteAccess | null
  readonly limit: KeelRouteLimit | null
  readonly shed: boolean
}

/** Methods whose bodies Fastify parses (GET and HEAD bodies are ignored). */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

type CodeName<R> = keyof R & string
const errors = (name: CodeName<typeof ERROR_CODES>) => name
const auth = (name: CodeName<typeof AUTH_ERROR_CODES>) => name

function schemaParts(route: RouteOptions): { validated: boolean; query: readonly string[] } {
  const schema = (route.schema ?? {}) as Record<string, unknown>
  const validated = ['body', 'querystring', 'params', 'headers'].some((part) => schema[part] !== undefined)
  const properties = (schema.querystring as { properties?: Record<string, unknown> } | undefined)?.properties
  return { validated, query: properties === undefined ? [] : Object.keys(properties) }
}

function badRequestCodes(route: RouteOptions, method: string, pathParams: boolean): string[] {
  const { validated, query } = schemaParts(route)
  const codes: string[] = []
  if (validated) codes.push(errors('VALIDATION_FAILED'))
  if (BODY_METHODS.has(method)) {
    codes.push(errors('MALFORMED_JSON'), errors('EMPTY_JSON_BODY'), errors('INVALID_CONTENT_LENGTH'))
  }
  if (pathParams) codes.push(errors('BAD_URL'))
  // The pagination query schemas name these parameters; their values are checked by the handler's decodeCursor /
  // parseSort.
  if (query.includes('cursor')) codes.push('INVALID_CURSOR' satisfies CodeName<typeof PAGINATION_ERROR_CODES>)
  if (query.includes('sort')) codes.push('INVALID_SORT' satisfies CodeName<typeof PAGINATION_ERROR_CODES>)
  return codes
}

function unavailableCodes(facts: AppFacts, route: RouteFacts): string[] {
  const codes: string[] = []
  if (route.shed) codes.push('SERVICE_OVERLOADED' satisfies CodeName<typeof HEALTH_ERROR_CODES>)
  if (route.access !== null) codes.push(...(facts.auth?.outageCodes ?? []))
  if (route.limit?.storeOutage === true) {
    codes.push('RATE_LIMIT_UNAVAILABLE' satisfies CodeName<typeof SECURITY_ERROR_CODES>)
  }
  if (facts.handlerTimeout) codes.push(errors('HANDLER_TIMEOUT'))
  return codes
}

/** The path under the refresh cookie's path, where cookie mode checks CSRF on unsafe methods. */
function csrfChecked(facts: AppFacts, url: string, method: string): boolean {
  const cookie = facts.auth?.refreshCookie
  if (cookie === null || cookie === undefined || !BODY_METHODS.has(method) || method === 'OPTIONS') return false
  return url === cookie.path || url.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)
}

/**
 * The problem responses keel can send on `method route.url`, in status order. `pathParams` says whether the URL
 * has parameters (an undecodable or over-long one answers before any hook).
 */
export function problemStatuses(
  route: RouteOptions,
  method: string,
  facts: AppFacts,
  known: RouteFacts,
  extra: ReadonlyMap<number, readonly string[]>,
): KeelProblemStatus[] {
  const pathParams = /[:*]/.test(route.url)
  const found: KeelProblemStatus[] = []
  const add = (status: number, codes: readonly string[], retryAfter = false) => {
    if (codes.length > 0) found.push({ status, codes, retryAfter })
  }
  add(400, badRequestCodes(route, method, pathParams))
  if (known.access !== null) {
    add(401, [auth('TOKEN_MISSING'), auth('TOKEN_INVALID'), auth('TOKEN_EXPIRED'), auth('TOKEN_REVOKED')])
  }
  const forbidden: string[] = []
  if (known.access !== null && known.access.authorize.length > 0) forbidden.push(auth('FORBIDDEN'))
  if (csrfChecked(facts, route.url, method)) forbidden.push(auth('CSRF_REJECTED'))
  add(403, forbidden)
  if (BODY_METHODS.has(method)) add(413, [errors('PAYLOAD_TOO_LARGE')])
  if (pathParams) add(414, [errors('PARAM_TOO_LONG')])
  if (BODY_METHODS.has(method)) add(415, [errors('UNSUPPORTED_MEDIA_TYPE')])
  if (known.limit !== null) add(429, ['RATE_LIMITED' satisfies CodeName<typeof SECURITY_ERROR_CODES>], true)
  add(500, [errors('INTERNAL_SERVER_ERROR')])
  add(503, unavailableCodes(facts, known), true)
  if (facts.health?.isProbe(route) === true) return found
  for (const [status, codes] of extra) {
    const i = found.findIndex((entry) => entry.status === status)
    const own = found[i]
    if (own === undefined) found.push({ status, codes, retryAfter: status === 429 || status === 503 })
    else found[i] = { ...own, codes: [...own.codes, ...codes.filter((code) => !own.codes.includes(code))] }
  }
  return found.sort((a, b) => a.status - b.status)
}
