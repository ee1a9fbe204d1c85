import { type KeelIssuerOptions, type ResolvedIssuer, resolveIssuers } from '../auth/issuers/options.js'
import {
  type KeelIssuersHealthCheck,
  type ResolvedIssuersHealthCheck,
  resolveIssuersHealthCheck,
} from '../auth/issuers/setup.js'
import { REALM } from '../auth/options.js'
import { optionsReader } from '../internal/options.js'

/**
 * Options of `keelResourceServer`: keel verifies the access tokens of identity providers and issues none. The
 * options it shares with `keelAuth` mean the same there. Validated once at register time (`KEEL_ERR_AUTH_*`).
 * @see docs/auth.md#verifying-tokens-from-an-identity-provider
 */
export interface KeelResourceServerOptions {
  /**
   * The identity providers whose access tokens `authenticate` accepts: each with its `issuer`, its keys (`jwksUri`
   * or `discovery`), `audience` and `algorithms`. Needs the optional peer dependency `jose`.
   */
  issuers: KeelIssuerOptions[]
  /**
   * Clock skew tolerated when checking `exp`, `nbf` and `iat`: milliseconds or a string, up to 5 minutes.
   * @default '5s'
   */
  clockTolerance?: string | number
  /**
   * `realm` of the `WWW-Authenticate: Bearer` challenge sent with 401s and 403s; omitted when unset.
   * @default undefined
   */
  realm?: string
  /**
   * Most verified access tokens kept, so a token seen again costs a map lookup instead of a signature check.
   * Hits still enforce `exp`. `0` turns it off.
   * @default 1000
   */
  verifyCache?: number
  /**
   * Add the readiness check `auth:jwks` to keelHealth (register it first): it passes while every issuer has usable keys.
   * @default false
   */
  issuersHealthCheck?: KeelIssuersHealthCheck
}

/** Options after validation, frozen. */
export interface ResolvedResourceServerOptions {
  readonly issuers: readonly ResolvedIssuer[]
  readonly clockToleranceMs: number
  readonly realm: string | undefined
  readonly verifyCache: number
  readonly issuersHealthCheck: ResolvedIssuersHealthCheck
}

const KNOWN = ['issuers', 'clockTolerance', 'realm', 'verifyCache', 'issuersHealthCheck']

/** The validators and error constructor of this plugin (its codes are auth's). */
export const read = optionsReader('resource-server', 'KEEL_ERR_AUTH_INVALID_OPTION')

/** Validates {@link KeelResourceServerOptions} once, at register time. */
export function resolveResourceServerOptions(options: unknown): ResolvedResourceServerOptions {
  const o = read.root(options, KNOWN)
  if (o.issuers === undefined) {
    throw read.error('issuers', 'is required', undefined, 'list the identity providers whose tokens you accept', {
      code: 'KEEL_ERR_AUTH_INVALID_ISSUERS',
    })
  }
  return Object.freeze({
    issuers: resolveIssuers(read, o.issuers, undefined) as readonly ResolvedIssuer[],
    clockToleranceMs: read.duration('clockTolerance', o.clockTolerance, '5s', {
      code: 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE',
      min: 0,
      max: 300_000,
    }),
    realm: read.optionalString('realm', o.realm, {
      pattern: REALM,
      fix: 'use 1 to 256 printable ASCII characters without quotes or backslashes',
    }),
    verifyCache: read.integer('verifyCache', o.verifyCache, 1000, { min: 0, max: 1_000_000 }),
    issuersHealthCheck: resolveIssuersHealthCheck(read, o.issuersHealthCheck),
  })
}
