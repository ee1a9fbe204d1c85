import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { createAuthenticate } from '../auth/authenticate.js'
import { createAuthErrors } from '../auth/errors.js'
import { checkGuardOrder, createAuthorize, createAuthPolicy } from '../auth/guards.js'
import { setUpIssuers } from '../auth/issuers/setup.js'
import { VerifiedTokenCache } from '../auth/token-cache.js'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { type KeelResourceServerOptions, read, resolveResourceServerOptions } from './options.js'

const DECORATORS = ['authenticate', 'authorize', 'authError', 'authPolicy'] as const

const plugin: FastifyPluginAsync<KeelResourceServerOptions> = async (app, options) => {
  const config = resolveResourceServerOptions(options)
  for (const name of DECORATORS) {
    if (app.hasDecorator(name)) {
      throw read.misuse(
        'KEEL_ERR_AUTH_DECORATOR_EXISTS',
        `"app.${name}" is already decorated`,
        'register keelAuth or keelResourceServer once per app (keelAuth takes `issuers` too)',
      )
    }
  }
  const authError = createAuthErrors(config.realm)
  const cache = new VerifiedTokenCache(config.verifyCache)
  const issuers = await setUpIssuers(app, config, { read, authError, cache })
  const authenticate = createAuthenticate({
    ring: undefined,
    issuers,
    cache,
    isRevoked: undefined,
    authError,
    clockToleranceMs: config.clockToleranceMs,
  })

  app.decorate('authenticate', authenticate)
  app.decorate('authorize', createAuthorize(authError))
  app.decorate('authError', authError)
  app.decorate(
    'authPolicy',
    createAuthPolicy(app, authenticate, {
      bearerFormat: 'JWT',
      refreshCookie: null,
      outageCodes: Object.freeze(['TOKEN_KEYS_UNAVAILABLE']),
    }),
  )
  checkGuardOrder(app, authenticate)
  app.addHook('onClose', async function closeKeelResourceServer() {
    cache.clear()
  })
}

/**
 * Resource-server mode of auth: `app.authenticate` accepts the access tokens of identity providers (Auth0,
 * Keycloak, Microsoft Entra, Cognito, another keel service…), verified through their JWK Sets, and keel issues none:
 * there is no `app.tokens`. Decorates `app.authenticate`, `app.authorize` and `app.authError`; register it before
 * the routes. Needs the optional peer dependency `jose`.
 *
 * @example
 * await app.register(keelResourceServer, {
 *   issuers: [{ issuer: 'https://example.eu.auth0.com/', discovery: true, audience: 'https://api.example.com', algorithms: ['RS256'] }],
 * })
 * app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
 * @see docs/auth.md#verifying-tokens-from-an-identity-provider
 */
export const keelResourceServer = fp(plugin, { name: 'fastify-keel-resource-server', fastify: FASTIFY_VERSIONS })
export default keelResourceServer
