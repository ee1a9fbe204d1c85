// What keelOpenApi reads about the app, each through the typed contract of the plugin that knows it: app.authPolicy,
// app.routeLimits, app.healthPolicy, app.requestIdPolicy. Read when the document is built (after `ready()`), so the
// order in which the plugins are registered does not matter. The property types are written here, since this
// subpath's declarations do not import the other subpaths' augmentations.
import type { FastifyInstance } from 'fastify'
import type { KeelAuthPolicy } from '../auth/auth-policy.js'
import { PROBLEM_DETAILS_ID } from '../errors/problem.js'
import type { KeelHealthPolicy } from '../health/health-policy.js'
import type { KeelRequestIdPolicy } from '../request-id/request-id-policy.js'
import type { KeelRouteLimits } from '../security/route-limits.js'

/** The contracts of the keel plugins registered in the app; `undefined` for a plugin that is not. */
export interface AppFacts {
  /** keelErrors is registered: errors are problem documents, and the `ProblemDetails` schema exists. */
  readonly problems: boolean
  readonly auth: KeelAuthPolicy | undefined
  readonly limits: KeelRouteLimits | undefined
  readonly health: KeelHealthPolicy | undefined
  readonly requestId: KeelRequestIdPolicy | undefined
  /** Fastify's `handlerTimeout` is set: a slow handler answers 503 `HANDLER_TIMEOUT`. */
  readonly handlerTimeout: boolean
}

type Contracts = {
  authPolicy?: KeelAuthPolicy
  routeLimits?: KeelRouteLimits
  healthPolicy?: KeelHealthPolicy
  requestIdPolicy?: KeelRequestIdPolicy
}

/** The facts of `app`, read from its decorators. */
export function appFacts(app: FastifyInstance): AppFacts {
  const contracts = app as FastifyInstance & Contracts
  const read = <K extends keyof Contracts>(name: K): Contracts[K] =>
    app.hasDecorator(name) ? contracts[name] : undefined
  const timeout = (app.initialConfig as { handlerTimeout?: unknown }).handlerTimeout
  return {
    problems: app.getSchema(PROBLEM_DETAILS_ID) !== undefined,
    auth: read('authPolicy'),
    limits: read('routeLimits'),
    health: read('healthPolicy'),
    requestId: read('requestIdPolicy'),
    handlerTimeout: typeof timeout === 'number' && timeout > 0,
  }
}
