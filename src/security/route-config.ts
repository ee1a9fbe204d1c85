// A route's own security settings, read once when the route is declared, with the same validators and message
// shape as the plugin options. A message names the route at its end: `… (route POST /login)`.
import type { FastifyRequest, RouteOptions } from 'fastify'
import type { HelmetOptions } from 'helmet'
import { KeelConfigError } from '../internal/config-error.js'
import { isPlainObject, optionsReader } from '../internal/options.js'
import { policyName } from './policy-options.js'

/** Validators for route config; every error is a `KEEL_ERR_SECURITY_ROUTE_CONFIG`. */
export const routeRead = optionsReader('security', 'KEEL_ERR_SECURITY_ROUTE_CONFIG')

/** Resolved failure limit of one route. */
export interface ResolvedFailureLimit {
  /** Its policy name in the headers and `violated-policies` of its 429. */
  readonly name: string
  readonly max: number
  readonly timeWindow: number
  readonly keyGenerator: ((request: FastifyRequest) => string | Promise<string>) | undefined
  readonly isFailure: (statusCode: number) => boolean
}

/** A route's `config.security`, validated (its `rateLimit` is resolved against the app's limits, in rate-limit.ts). */
export interface ResolvedRouteSecurity {
  readonly helmet: HelmetOptions | false | undefined
  readonly failureLimit: ResolvedFailureLimit | undefined
  readonly rateLimit: unknown
}

const SECURITY_KEYS = ['helmet', 'failureLimit', 'rateLimit']
const FAILURE_LIMIT_KEYS = ['name', 'max', 'timeWindow', 'keyGenerator', 'isFailure']

function defaultIsFailure(statusCode: number): boolean {
  return statusCode >= 400 && statusCode < 500 && statusCode !== 429
}

/** `GET /users/:id`, the route's name in messages and in failure-limit keys. */
export function routeName(route: Pick<RouteOptions, 'method' | 'url'>): string {
  return `${Array.isArray(route.method) ? route.method.join(',') : route.method} ${route.url}`
}

/** Runs `work`, adding the route's name to the message of a `KeelConfigError` it throws. */
export function onRoute<T>(route: string, work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof KeelConfigError) {
      throw new KeelConfigError(error.code as `KEEL_ERR_${string}`, `${error.message} (route ${route})`)
    }
    throw error
  }
}

function resolveFailureLimit(value: unknown): ResolvedFailureLimit {
  const path = 'config.security.failureLimit'
  const o = routeRead.object(path, value, FAILURE_LIMIT_KEYS, { fix: `pass { ${FAILURE_LIMIT_KEYS.join(', ')} }` })
  return Object.freeze({
    name: policyName(routeRead, `${path}.name`, o.name, 'failures'),
    max: routeRead.integer(`${path}.max`, o.max, 5),
    timeWindow: routeRead.duration(`${path}.timeWindow`, o.timeWindow, '15 minutes'),
    keyGenerator: routeRead.func<ResolvedFailureLimit['keyGenerator']>(`${path}.keyGenerator`, o.keyGenerator),
    isFailure: routeRead.func<ResolvedFailureLimit['isFailure']>(`${path}.isFailure`, o.isFailure) ?? defaultIsFailure,
  })
}

/** Validates a route's `config.security` (`undefined` when the route has none). */
export function resolveRouteSecurity(value: unknown): ResolvedRouteSecurity | undefined {
  if (value === undefined) return undefined
  const o = routeRead.object('config.security', value, SECURITY_KEYS)
  const helmet = o.helmet
  if (helmet !== undefined && helmet !== false && !isPlainObject(helmet)) {
    throw routeRead.error('config.security.helmet', 'must be false or helmet options', helmet, 'pass e.g. false')
  }
  return Object.freeze({
    helmet: helmet as HelmetOptions | false | undefined,
    failureLimit: o.failureLimit === undefined ? undefined : resolveFailureLimit(o.failureLimit),
    rateLimit: o.rateLimit,
  })
}
