// Wires the `issuers` option into one registration (keelAuth next to its own keys, or keelResourceServer alone):
// loads jose, builds the verifiers, stops their fetches on close, and, when asked, hands a readiness check to
// keelHealth through its public API (`app.health.addCheck`), which must be registered first.
import type { FastifyInstance } from 'fastify'
import type { KeelHealth } from '../../health/plugin.js'
import type { OptionsReader } from '../../internal/options.js'
import type { KeelAuthErrorFactory } from '../errors.js'
import type { VerifiedTokenCache } from '../token-cache.js'
import { loadJose } from './load-jose.js'
import type { ResolvedIssuer } from './options.js'
import { createIssuerVerifiers, type IssuerVerifiers } from './verify.js'

/** The name of the readiness check `issuersHealthCheck` adds. */
export const ISSUERS_HEALTH_CHECK = 'auth:jwks'

/**
 * `issuersHealthCheck`: add a readiness check that passes while every issuer has usable keys.
 * `critical: false` reports a failure as `warn` (200) instead of `fail` (503).
 */
export type KeelIssuersHealthCheck = boolean | { critical?: boolean }

/** `issuersHealthCheck` after validation: undefined when off. */
export type ResolvedIssuersHealthCheck = { readonly critical: boolean } | undefined

/** Validates `issuersHealthCheck`. */
export function resolveIssuersHealthCheck(read: OptionsReader, value: unknown): ResolvedIssuersHealthCheck {
  if (value === undefined || value === false) return undefined
  if (value === true) return Object.freeze({ critical: true })
  const o = read.object('issuersHealthCheck', value, ['critical'], { fix: 'pass true, false or { critical }' })
  return Object.freeze({ critical: read.boolean('issuersHealthCheck.critical', o.critical, true) })
}

/** The options {@link setUpIssuers} reads, as keelAuth and keelResourceServer resolve them. */
export interface IssuersConfig {
  readonly issuers: readonly ResolvedIssuer[] | undefined
  readonly issuersHealthCheck: ResolvedIssuersHealthCheck
  readonly clockToleranceMs: number
}

/** The parts of the registration {@link setUpIssuers} uses. */
export interface IssuersParts {
  readonly read: OptionsReader
  readonly authError: KeelAuthErrorFactory
  readonly cache: VerifiedTokenCache
}

/** Builds the verifiers of the configured issuers (undefined when there are none). */
export async function setUpIssuers(
  app: FastifyInstance,
  config: IssuersConfig,
  { read, authError, cache }: IssuersParts,
): Promise<IssuerVerifiers | undefined> {
  const { issuers, issuersHealthCheck: healthCheck } = config
  if (issuers === undefined) {
    if (healthCheck !== undefined) {
      throw read.error('issuersHealthCheck', 'is set without "issuers"', true, 'configure issuers or drop it')
    }
    return undefined
  }
  const health = (app as FastifyInstance & { health?: KeelHealth }).health
  if (healthCheck !== undefined && !app.hasDecorator('health')) {
    throw read.misuse(
      'KEEL_ERR_AUTH_HEALTH_MISSING',
      'option "issuersHealthCheck" adds a readiness check, but app.health is not decorated',
      'register keelHealth (fastify-keel/health) before this plugin',
    )
  }
  const verifiers = createIssuerVerifiers({
    issuers,
    jose: await loadJose(read),
    authError,
    clockToleranceMs: config.clockToleranceMs,
    log: app.log,
    onKeysRemoved: () => cache.clear(),
  })
  if (healthCheck !== undefined && health !== undefined) {
    const longestFetch = Math.max(...issuers.map((issuer) => issuer.fetchTimeoutMs))
    health.addCheck(ISSUERS_HEALTH_CHECK, () => verifiers.check(), {
      critical: healthCheck.critical,
      timeout: 2 * longestFetch + 1000, // discovery, then the JWK Set
    })
  }
  app.addHook('onClose', async function closeKeelAuthIssuers() {
    verifiers.close()
  })
  return verifiers
}
