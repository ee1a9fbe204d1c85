import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { KeelAuthorizeRule, KeelAuthPolicy, KeelRouteAccess } from './auth-policy.js'
import type { KeelAuthErrorFactory } from './errors.js'
import { read } from './options.js'
import type { KeelAuthHook, KeelAuthorizeCheck, KeelAuthorizeRequirement, KeelAuthUser } from './types.js'

/** Marks the hooks made by `authorize` with their rule, so the route check and `app.authPolicy` can find them. */
const kGuard = Symbol('fastify-keel.auth.guard')

type Guard = KeelAuthHook & { [kGuard]?: KeelAuthorizeRule }

const INVALID_REQUIREMENT = { code: 'KEEL_ERR_AUTH_INVALID_REQUIREMENT', fix: "pass e.g. ['admin', 'editor']" } as const

function stringList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list = read.stringList(`authorize().${name}`, value, [], INVALID_REQUIREMENT)
  if (list.length === 0)
    throw read.error(`authorize().${name}`, 'is empty', value, INVALID_REQUIREMENT.fix, INVALID_REQUIREMENT)
  return list
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

/** Builds `app.authorize`; its errors come from `authError` (with the configured challenge). */
export function createAuthorize(
  authError: KeelAuthErrorFactory,
): (requirement: KeelAuthorizeRequirement) => KeelAuthHook {
  return function authorize(requirement) {
    let roles: readonly string[] | undefined
    let permissions: readonly string[] | undefined
    let check: KeelAuthorizeCheck | undefined
    if (typeof requirement === 'string') roles = stringList([requirement], 'roles')
    else if (Array.isArray(requirement)) roles = stringList(requirement, 'roles')
    else if (typeof requirement === 'object' && requirement !== null) {
      roles = stringList(requirement.roles, 'roles')
      permissions = stringList(requirement.permissions, 'permissions')
      check = read.func<KeelAuthorizeCheck>('authorize().check', requirement.check, INVALID_REQUIREMENT)
    }
    if (roles === undefined && permissions === undefined && check === undefined) {
      throw read.error(
        'authorize()',
        'needs a role, a list of roles or { roles, permissions, check }',
        requirement,
        "pass 'admin', ['admin', 'editor'] or { permissions: ['post:write'] }",
        INVALID_REQUIREMENT,
      )
    }
    const guard: Guard = async function keelAuthorize(request: FastifyRequest): Promise<void> {
      const user = request.user as KeelAuthUser | null | undefined
      // Safety net: the boot check catches a missing `authenticate`; this covers hooks it cannot see.
      if (user === null || user === undefined) throw authError('TOKEN_MISSING')
      if (roles !== undefined && !hasAny(user.roles, roles)) throw authError('FORBIDDEN')
      if (permissions !== undefined && !hasAll(user.permissions, permissions)) throw authError('FORBIDDEN')
      if (check !== undefined && (await check(user, request)) !== true) throw authError('FORBIDDEN')
    }
    guard[kGuard] = Object.freeze({ roles: roles ?? [], permissions: permissions ?? [], check: check !== undefined })
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
      else if (!authenticated && typeof hook === 'function' && (hook as Guard)[kGuard] !== undefined) return true
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
        throw read.misuse(
          'KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE',
          `route ${method} ${route.url} runs app.authorize(...) without app.authenticate before it`,
          'use { onRequest: [app.authenticate, app.authorize(...)] }',
        )
      }
    }
    suspects.length = 0
  })
}

/** The route's `authenticate` and guards, scope hooks of a phase before the route's own. */
function accessOf(
  route: RouteOptions,
  authenticate: unknown,
  scope: Record<string, unknown[]> | undefined,
): KeelRouteAccess | null {
  let authenticated = false
  const rules: KeelAuthorizeRule[] = []
  for (const phase of phases) {
    for (const hook of [...(scope?.[phase] ?? []), ...asList(route[phase])]) {
      if (hook === authenticate) authenticated = true
      const rule = typeof hook === 'function' ? (hook as Guard)[kGuard] : undefined
      if (rule !== undefined) rules.push(rule)
    }
  }
  return authenticated ? Object.freeze({ authorize: Object.freeze(rules) }) : null
}

/**
 * Builds `app.authPolicy`. Each route's scope is remembered in `onRoute`, and its hooks read when asked, since
 * scope hooks may be added after the route.
 */
export function createAuthPolicy(
  app: FastifyInstance,
  authenticate: KeelAuthHook,
  facts: Omit<KeelAuthPolicy, 'routeAccess'>,
): KeelAuthPolicy {
  const scopes = new WeakMap<RouteOptions, FastifyInstance>()
  app.addHook('onRoute', function rememberRouteScope(this: FastifyInstance, route) {
    scopes.set(route, this)
  })
  return Object.freeze({
    ...facts,
    routeAccess(route: RouteOptions): KeelRouteAccess | null {
      const instance = scopes.get(route)
      return accessOf(route, authenticate, instance === undefined ? undefined : scopeHooks(instance))
    },
  })
}
