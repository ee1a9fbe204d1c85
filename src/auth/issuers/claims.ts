// Claim mapping: where an identity provider puts the subject, the roles and the permissions of a user, so that
// `request.user.sub`, `.roles` and `.permissions` (what `app.authorize` reads) mean the same for every issuer.
// Paths are compiled once at register time; a lookup walks own properties only (never `__proto__`/`constructor`).
import type { OptionsReader } from '../../internal/options.js'

/**
 * Where a claim is: a dot path (`'realm_access.roles'`), or a list of exact property names for names that contain
 * dots themselves (`['https://example.com/roles']`, `['resource_access', 'my.client', 'roles']`).
 */
export type KeelClaimPath = string | readonly string[]

/** Reads a list from the verified claims yourself (several sources, a prefix to strip); `undefined` is none. */
export type KeelClaimReader = (claims: Readonly<Record<string, unknown>>) => readonly string[] | undefined

/**
 * Where `request.user.sub`, `roles` and `permissions` come from in an identity provider's tokens. A list claim may
 * be a JSON array of strings or one space-separated string (OAuth `scope`); a missing claim is an empty list.
 * @see docs/auth.md#claim-mapping
 */
export interface KeelClaimMapping {
  /** The user id (a non-empty string), e.g. `'oid'` for Microsoft Entra. @default 'sub' */
  subject?: KeelClaimPath
  /** Roles checked by `app.authorize('role')`, e.g. `'realm_access.roles'` (Keycloak). @default 'roles' */
  roles?: KeelClaimPath | KeelClaimReader
  /** Permissions checked by `app.authorize({ permissions })`, e.g. `'scope'`. @default 'permissions' */
  permissions?: KeelClaimPath | KeelClaimReader
}

/** What a token's claims map to, or `undefined` when a mapped claim has the wrong shape (the token is refused). */
export type MapClaims = (
  claims: Readonly<Record<string, unknown>>,
) => { sub: string; roles: string[]; permissions: string[] } | undefined

type Lookup = (claims: Readonly<Record<string, unknown>>) => unknown

/** Longest subject accepted (keel's own limit for `sub`). */
const MAX_SUBJECT_LENGTH = 1024
const FIELDS = ['subject', 'roles', 'permissions']
const WHITESPACE = /\s+/

function compilePath(read: OptionsReader, path: string, value: unknown): Lookup {
  const fix = "pass a dot path such as 'realm_access.roles', or a list of names such as ['https://example.com/roles']"
  const segments =
    typeof value === 'string' ? value.split('.') : Array.isArray(value) ? [...(value as unknown[])] : undefined
  if (
    segments === undefined ||
    segments.length === 0 ||
    segments.length > 8 ||
    !segments.every((segment) => typeof segment === 'string' && segment !== '' && segment.length <= 256)
  ) {
    throw read.error(path, 'is not a claim path', value, fix, { code: 'KEEL_ERR_AUTH_INVALID_ISSUERS' })
  }
  const names = Object.freeze(segments as string[])
  return function lookupClaim(claims) {
    let current: unknown = claims
    for (const name of names) {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, name)) {
        return undefined
      }
      current = (current as Record<string, unknown>)[name]
    }
    return current
  }
}

/** A list claim as a fresh array of strings, or `undefined` when it has another shape. */
function toList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  if (typeof value === 'string') return value.split(WHITESPACE).filter((item) => item !== '')
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return undefined
  return [...value]
}

function compileList(read: OptionsReader, path: string, value: unknown, fallback: string): Lookup {
  // A reader's answer is checked like a claim: a list of strings, or nothing.
  if (typeof value === 'function') return value as KeelClaimReader
  return compilePath(read, path, value ?? fallback)
}

/** Compiles the `claims` option of one issuer into one function. */
export function compileClaimMapping(read: OptionsReader, path: string, value: unknown): MapClaims {
  const o = read.object(path, value, FIELDS, { code: 'KEEL_ERR_AUTH_INVALID_ISSUERS' })
  const subject = compilePath(read, `${path}.subject`, o.subject ?? 'sub')
  const roles = compileList(read, `${path}.roles`, o.roles, 'roles')
  const permissions = compileList(read, `${path}.permissions`, o.permissions, 'permissions')
  return function mapClaims(claims) {
    const sub = subject(claims)
    if (typeof sub !== 'string' || sub === '' || sub.length > MAX_SUBJECT_LENGTH) return undefined
    const roleList = toList(roles(claims))
    const permissionList = toList(permissions(claims))
    if (roleList === undefined || permissionList === undefined) return undefined
    return { sub, roles: roleList, permissions: permissionList }
  }
}
