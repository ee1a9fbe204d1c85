import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import type { KeelAuthPolicy } from './auth-policy.js'
import { createAuthenticate } from './authenticate.js'
import { createAuthErrors } from './errors.js'
import { checkGuardOrder, createAuthorize, createAuthPolicy } from './guards.js'
import { setUpIssuers } from './issuers/setup.js'
import { registerJwks } from './jwks.js'
import { createKeyRing } from './keys.js'
import { type KeelAuthOptions, read, resolveOptions } from './options.js'
import type { ResolvedRefreshTransport } from './refresh-transport-options.js'
import { createRevocationCheck } from './revocation.js'
import { GuardedStore } from './store-guard.js'
import { VerifiedTokenCache } from './token-cache.js'
import { createTokens } from './tokens.js'

const DECORATORS = ['authenticate', 'authorize', 'authError', 'tokens', 'authPolicy'] as const

const plugin: FastifyPluginAsync<KeelAuthOptions> = async (app, options) => {
  const config = resolveOptions(options)
  for (const name of DECORATORS) {
    if (app.hasDecorator(name)) {
      throw read.misuse(
        'KEEL_ERR_AUTH_DECORATOR_EXISTS',
        `"app.${name}" is already decorated`,
        'register keelAuth once per app',
      )
    }
  }
  const authError = createAuthErrors(config.realm)
  const ring = createKeyRing(config)
  const cache = new VerifiedTokenCache(config.verifyCache)
  const store = new GuardedStore(config.store, config.storeTimeoutMs, app.log, (cause) =>
    authError('TOKEN_STORE_UNAVAILABLE', undefined, { cause }),
  )
  const isRevoked = createRevocationCheck(store, config.sessionBound)
  const { clockToleranceMs } = config
  const issuers = await setUpIssuers(app, config, { read, authError, cache })
  const authenticate = createAuthenticate({ ring, issuers, cache, isRevoked, authError, clockToleranceMs })

  app.decorate('authenticate', authenticate)
  app.decorate('authorize', createAuthorize(authError))
  app.decorate('authError', authError)
  app.decorate('tokens', createTokens({ app, ring, store, config, authError, log: app.log }))
  app.decorate(
    'authPolicy',
    createAuthPolicy(app, authenticate, policyFacts(config.refreshTransport, (config.issuers?.length ?? 0) > 0)),
  )
  checkGuardOrder(app, authenticate)
  if (config.jwks) await registerJwks(app, ring.jwks)

  app.addHook('onClose', async function closeKeelAuth() {
    cache.clear()
    if (config.ownsStore) await config.store.close?.()
  })
}

function policyFacts(transport: ResolvedRefreshTransport, issuers: boolean): Omit<KeelAuthPolicy, 'routeAccess'> {
  const refreshCookie =
    transport.transport === 'cookie'
      ? Object.freeze({ name: transport.cookieName, path: transport.cookiePath, csrfHeader: transport.csrfHeader })
      : null
  const outageCodes = issuers ? ['TOKEN_STORE_UNAVAILABLE', 'TOKEN_KEYS_UNAVAILABLE'] : ['TOKEN_STORE_UNAVAILABLE']
  return { bearerFormat: 'JWT', refreshCookie, outageCodes: Object.freeze(outageCodes) }
}

/**
 * Authentication for Fastify 5: JWT access tokens (fast-jwt, each key pinned to its algorithm) bound to sessions
 * users can list and end, rotating refresh tokens with reuse detection (in the body or an httpOnly cookie),
 * guards, a typed `request.user`, and 503s when the token store is down. Decorates `app.authenticate`,
 * `app.authorize`, `app.authError` and `app.tokens`; register it before the routes.
 *
 * @example
 * await app.register(keelAuth, { secret: process.env.JWT_SECRET!, issuer: 'https://api.example.com', audience: 'example-api' })
 * app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
 * app.delete('/users/:id', { onRequest: [app.authenticate, app.authorize('admin')] }, deleteUser)
 * @see docs/auth.md
 */
export const keelAuth = fp(plugin, { name: 'fastify-keel-auth', fastify: FASTIFY_VERSIONS })
export default keelAuth
