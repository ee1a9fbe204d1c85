import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { HttpError } from '../errors/index.js'
import { describeValue, KeelConfigError } from '../internal/config-error.js'
import type { KeelAuthHook, KeelAuthorizeCheck, KeelAuthorizeRequirement, KeelAuthUser } from './types.js'

/** Marks the hooks made by `authorize`, so the route check can find them. */
const kGuard = Symbol('fastify-keel.auth.guard')

type Guard = KeelAuthHook & { [kGuard]?: true }

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0 || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new KeelConfigError(
      'KEEL_ERR_AUTH_INVALID_REQUIREMENT',
      `fastify-keel/auth: authorize() "${name}" must be a non-empty array of strings, got ${describeValue(value)}`,
    )
  }
  return [...value]
}

function hasAny(held: unknown, wanted: readonly string[]): boolean {
  // Tolerate a single role stored as a string (a common database shape).
  if (typeof held === 'string') return wanted.includes(held)
  if (!Array.isArray(held)) return false
  for (const item of wanted) if (held.includes(item)) return true
  return false
}

function hasAll(held: unknown, wanted: readonly string[]): boolean {
  if (typeof held === 'string') return wanted.length === 1 && wanted[0] === held
  if (!Array.isArray(held)) return false
  for (const item of wanted) if (!held.includes(item)) return false
  return true
}

/**
 * Builds an `authorize` guard. `forbidden` and `unauthenticated` make the errors (they carry the configured
 * challenge header).
 */
export function createAuthorize(
  forbidden: () => HttpError,
  unauthenticated: () => HttpError,
): (requirement: KeelAuthorizeRequirement) => KeelAuthHook {
  return function authorize(requirement) {
    let roles: string[] | undefined
    let permissions: string[] | undefined
    let check: KeelAuthorizeCheck | undefined
    if (typeof requirement === 'string') roles = stringList([requirement], 'roles')
    else if (Array.isArray(requirement)) roles = stringList(requirement, 'roles')
    else if (typeof requirement === 'object' && requirement !== null) {
      roles = stringList(requirement.roles, 'roles')
      permissions = stringList(requirement.permissions, 'permissions')
      if (requirement.check !== undefined && typeof requirement.check !== 'function') {
        throw new KeelConfigError(
          'KEEL_ERR_AUTH_INVALID_REQUIREMENT',
          'fastify-keel/auth: authorize() "check" must be a function',
        )
      }
      check = requirement.check
    }
    if (roles === undefined && permissions === undefined && check === undefined) {
      throw new KeelConfigError(
        'KEEL_ERR_AUTH_INVALID_REQUIREMENT',
        `fastify-keel/auth: authorize() needs a role, a list of roles or { roles, permissions, check }, got ${describeValue(requirement)}`,
      )
    }
    const guard: Guard = async function keelAuthorize(request: FastifyRequest): Promise<void> {
      const user = request.user as KeelAuthUser | null | undefined
      // Safety net: the boot check catches a missing `authenticate`; this covers hooks it cannot see.
      if (user === null || user === undefined) throw unauthenticated()
      if (roles !== undefined && !hasAny(user.roles, roles)) throw forbidden()
      if (permissions !== undefined && !hasAll(user.permissions, permissions)) throw forbidden()
      if (check !== undefined && (await check(user, request)) !== true) throw forbidden()
    }
    guard[kGuard] = true
    return guard
  }
}

const phases = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

/** Fastify keeps a scope's hooks under a private symbol; found once, by its description. */
let kHooks: symbol | undefined

function scopeHooks(instance: FastifyInstance): Record<string, unknown[]> | undefined {
  if (kHooks === undefined) {
    for (
      let proto: object | null = instance;
      proto !== null && kHooks === undefined;
      proto = Object.getPrototypeOf(proto)
    ) {
      kHooks = Object.getOwnPropertySymbols(proto).find((symbol) => symbol.description === 'fastify.hooks')
    }
  }
  if (kHooks === undefined) return undefined
  const hooks = (instance as unknown as Record<symbol, unknown>)[kHooks]
  return typeof hooks === 'object' && hooks !== null ? (hooks as Record<string, unknown[]>) : undefined
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value]
}

/**
 * True when some `authorize` guard of the route runs before `authenticate`, looking at the route's hooks
 * and, when `instance` is given, its scope's hooks. Scope hooks of a phase run before route hooks of it.
 */
function guardRunsFirst(
  route: RouteOptions,
  authenticate: unknown,
  scope: Record<string, unknown[]> | undefined,
): boolean {
  let authenticated = false
  for (const phase of phases) {
    if (!authenticated && scope?.[phase]?.includes(authenticate) === true) authenticated = true
    for (const hook of asList(route[phase])) {
      if (hook === authenticate) authenticated = true
      else if (!authenticated && typeof hook === 'function' && (hook as Guard)[kGuard] === true) return true
    }
  }
  return false
}

/**
 * Adds the boot-time check "no `authorize` without `authenticate` before it". Routes are collected in
 * `onRoute` and checked in `onReady`, when every scope-level hook is known.
 */
export function checkGuardOrder(app: FastifyInstance, authenticate: KeelAuthHook): void {
  const suspects: Array<{ instance: FastifyInstance; route: RouteOptions }> = []
  app.addHook('onRoute', function collectGuardedRoutes(this: FastifyInstance, route) {
    if (guardRunsFirst(route, authenticate, undefined)) suspects.push({ instance: this, route })
  })
  app.addHook('onReady', async function checkGuardedRoutes() {
    for (const { instance, route } of suspects) {
      const scope = scopeHooks(instance)
      // Without access to scope hooks, rely on the per-request safety net rather than fail a valid app.
      if (scope === undefined) continue
      if (guardRunsFirst(route, authenticate, scope)) {
        const method = Array.isArray(route.method) ? route.method.join(',') : route.method
        throw new KeelConfigError(
          'KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE',
          `fastify-keel/auth: route ${method} ${route.url} runs app.authorize(...) without app.authenticate before it; ` +
            'use { onRequest: [app.authenticate, app.authorize(...)] }',
        )
      }
    }
    suspects.length = 0
  })
}
