import Fastify from 'fastify'
import {
  type AUTH_ERROR_CODES,
  type AuthErrorCode,
  type KeelAuthKey,
  type KeelAuthOptions,
  type KeelAuthUser,
  type KeelSession,
  type KeelSessionMetadata,
  type KeelTokenResponse,
  keelAuth,
  MemoryTokenStore,
  type TokenPair,
  type TokenStore,
} from 'fastify-keel/auth'
import type { HttpError } from 'fastify-keel/errors'
import { describe, expectTypeOf, it } from 'vitest'

// Users declare their own claims once, by declaration merging. (Optional here: the augmentation reaches
// the whole type-checked program, including other tests and the example app.)
declare module 'fastify-keel/auth' {
  interface KeelUser {
    tenantId?: string
  }
}

describe('auth types', () => {
  it('should type request.user with built-in and declared claims', async () => {
    const app = Fastify()
    await app.register(keelAuth, { secret: 'x'.repeat(32), issuer: 'i', audience: 'a' })
    app.get<{ Params: { id: string } }>(
      '/users/:id',
      { onRequest: [app.authenticate, app.authorize('admin')] },
      async (request) => {
        expectTypeOf(request.user).toEqualTypeOf<KeelAuthUser>()
        expectTypeOf(request.user.roles).toEqualTypeOf<string[]>()
        expectTypeOf(request.user.sub).toEqualTypeOf<string>()
        expectTypeOf(request.user.tenantId).toEqualTypeOf<string | undefined>()
        expectTypeOf(request.user.exp).toEqualTypeOf<number>()
        // @ts-expect-error claims that were never declared do not exist
        request.user.email
        return request.params.id
      },
    )
  })

  it('should require sub (and declared claims) in tokens.issue', async () => {
    const app = Fastify()
    expectTypeOf(app.tokens.issue({ sub: 'u1', roles: ['admin'], tenantId: 't' })).toEqualTypeOf<Promise<TokenPair>>()
    // roles are optional
    app.tokens.issue({ sub: 'u1', tenantId: 't' })
    // @ts-expect-error a payload without sub is rejected
    app.tokens.issue({ roles: ['admin'], tenantId: 't' })
    // @ts-expect-error sub must be a string
    app.tokens.issue({ sub: 1, tenantId: 't' })
    // @ts-expect-error declared claims keep their type
    app.tokens.issue({ sub: 'u1', tenantId: 7 })
    expectTypeOf(app.tokens.rotate).parameter(0).toEqualTypeOf<string | undefined>()
    expectTypeOf(app.tokens.revokeAll).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(app.tokens.revoke('t', { sub: 'u1' })).toEqualTypeOf<Promise<boolean>>()
    expectTypeOf(app.tokens.checkStore()).toEqualTypeOf<Promise<void>>()
    // @ts-expect-error revoke's sub is a string
    app.tokens.revoke('t', { sub: 1 })
  })

  it('should type sessions, their metadata and the refresh-token transport', async () => {
    const app = Fastify()
    app.tokens.issue({ sub: 'u1', tenantId: 't' }, { metadata: { userAgent: 'ua', ip: '::1', device: 'laptop' } })
    // @ts-expect-error metadata has known fields only
    app.tokens.issue({ sub: 'u1', tenantId: 't' }, { metadata: { password: 'no' } })
    expectTypeOf(app.tokens.sessions('u1')).toEqualTypeOf<Promise<KeelSession[]>>()
    expectTypeOf<KeelSession['metadata']>().toEqualTypeOf<KeelSessionMetadata>()
    expectTypeOf<KeelSession['lastUsedAt']>().toEqualTypeOf<number>()
    expectTypeOf(app.tokens.endSession('u1', 'sid')).toEqualTypeOf<Promise<boolean>>()
    app.post('/auth/refresh', async (request, reply) => {
      const token = app.tokens.fromRequest(request)
      expectTypeOf(token).toEqualTypeOf<string | undefined>()
      const body = app.tokens.respond(reply, await app.tokens.rotate(token))
      expectTypeOf(body).toEqualTypeOf<KeelTokenResponse>()
      expectTypeOf(body.refreshToken).toEqualTypeOf<string | undefined>()
      expectTypeOf(body.sessionId).toEqualTypeOf<string>()
      app.tokens.clearCookie(reply)
      return body
    })
    app.get('/me', { onRequest: [app.authenticate] }, async (request) => {
      expectTypeOf(request.user.sid).toEqualTypeOf<string | undefined>()
    })
    expectTypeOf<TokenPair['sessionExpiresIn']>().toEqualTypeOf<number>()
  })

  it('should type authError with auth codes only', () => {
    const app = Fastify()
    expectTypeOf(app.authError('INVALID_CREDENTIALS')).toEqualTypeOf<HttpError>()
    expectTypeOf(
      app.authError('TOKEN_STORE_UNAVAILABLE', 'retry', { cause: new Error('down') }),
    ).toEqualTypeOf<HttpError>()
    // @ts-expect-error a code of another feature
    app.authError('RATE_LIMITED')
    expectTypeOf<keyof typeof AUTH_ERROR_CODES>().toEqualTypeOf<AuthErrorCode>()
  })

  it('should type authorize requirements and checks', () => {
    const app = Fastify()
    app.authorize('admin')
    app.authorize(['admin', 'editor'])
    app.authorize({ permissions: ['post:write'], check: (user) => user.tenantId === 't1' })
    app.authorize({ check: async (user, request) => user.sub === request.id })
    // @ts-expect-error a check must return a boolean
    app.authorize({ check: () => 'yes' })
    // @ts-expect-error roles are strings
    app.authorize({ roles: [1] })
  })

  it('should type the options and stores', () => {
    const options: KeelAuthOptions = {
      secret: { keys: [{ kid: 'k1', algorithm: 'ES256', privateKey: '...' }], current: 'k1' },
      issuer: 'i',
      audience: 'a',
      accessTokenTtl: '15m',
      refreshTokenTtl: 2_592_000_000,
      clockTolerance: '5s',
      storeTimeout: 500,
      store: new MemoryTokenStore(),
      sessionMaxAge: '90d',
      refreshGraceWindow: '5s',
      accessTokens: 'session-bound',
      refreshToken: { transport: 'cookie', cookiePath: '/auth', cookieName: 'rt', csrfHeader: 'x-requested-with' },
    }
    expectTypeOf(options.store).toEqualTypeOf<TokenStore | undefined>()
    // @ts-expect-error accessTokens is 'stateless' or 'session-bound'
    options.accessTokens = 'bound'
    // @ts-expect-error the transport is 'body' or 'cookie'
    options.refreshToken = { transport: 'header' }
    const key: KeelAuthKey = { kid: 'k', algorithm: 'HS256', secret: 's' }
    // @ts-expect-error HS512 is not offered
    key.algorithm = 'HS512'
  })
})
