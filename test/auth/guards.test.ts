import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { httpErrors, keelErrors } from 'fastify-keel/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audience, bearer, hsSecret, issuer } from './fixtures.js'

async function base(): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keelAuth, { secret: hsSecret, issuer, audience })
  return app
}

describe('auth', () => {
  describe('authorize', () => {
    let app: FastifyInstance
    const tokens: Record<string, string> = {}

    beforeAll(async () => {
      app = Fastify()
      await app.register(keelErrors)
      await app.register(keelAuth, { secret: hsSecret, issuer, audience })
      const { authenticate, authorize } = app
      app.get('/admin', { onRequest: [authenticate, authorize('admin')] }, async () => 'ok')
      app.get('/staff', { onRequest: [authenticate, authorize(['admin', 'editor'])] }, async () => 'ok')
      app.get(
        '/publish',
        { onRequest: [authenticate, authorize({ permissions: ['post:write', 'post:publish'] })] },
        async () => 'ok',
      )
      app.get<{ Params: { id: string } }>(
        '/users/:id',
        {
          onRequest: [
            authenticate,
            authorize({ check: (user, request) => user.sub === (request.params as { id: string }).id }),
          ],
        },
        async () => 'ok',
      )
      app.get<{ Params: { id: string } }>(
        '/tenants/:id/admin',
        {
          onRequest: [
            authenticate,
            authorize({
              roles: ['admin'],
              check: async (user, request) =>
                (user as { tenant?: string }).tenant === (request.params as { id: string }).id,
            }),
          ],
        },
        async () => 'ok',
      )
      app.get(
        '/teapot',
        {
          onRequest: [
            authenticate,
            authorize({
              check: () => {
                throw httpErrors.imATeapot(undefined, { code: 'TEAPOT' })
              },
            }),
          ],
        },
        async () => 'ok',
      )
      app.get('/split', { onRequest: [authenticate], preHandler: [authorize('admin')] }, async () => 'ok')
      const issue = async (name: string, claims: Record<string, unknown>) => {
        tokens[name] = (await app.tokens.issue({ sub: name, roles: [], ...claims } as never)).accessToken
      }
      await issue('admin', { roles: ['admin'], tenant: 't1' })
      await issue('editor', { roles: ['editor'] })
      await issue('member', { roles: ['member'] })
      await issue('writer', { permissions: ['post:write'] })
      await issue('publisher', { permissions: ['post:write', 'post:publish'] })
      await issue('legacy', { roles: 'admin' })
    })
    afterAll(async () => {
      await app.close()
    })

    it.each([
      ['/admin', 'admin', 200],
      ['/admin', 'member', 403],
      ['/admin', 'legacy', 200],
      ['/staff', 'editor', 200],
      ['/staff', 'admin', 200],
      ['/staff', 'member', 403],
      ['/publish', 'publisher', 200],
      ['/publish', 'writer', 403],
      ['/publish', 'admin', 403],
      ['/users/member', 'member', 200],
      ['/users/admin', 'member', 403],
      ['/tenants/t1/admin', 'admin', 200],
      ['/tenants/t2/admin', 'admin', 403],
      ['/tenants/t1/admin', 'member', 403],
      ['/split', 'admin', 200],
      ['/split', 'member', 403],
    ])('should answer GET %s as %s with %i', async (url, who, status) => {
      const res = await app.inject({ url, headers: bearer(tokens[who]!) })
      expect(res.statusCode).toBe(status)
      if (status === 403) {
        expect(res.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' })
        expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"')
      }
    })

    it('should answer 401, not 403, to a guarded route without a token', async () => {
      const res = await app.inject('/admin')
      expect(res.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING' })
    })

    it('should let an error thrown by a custom check through', async () => {
      const res = await app.inject({ url: '/teapot', headers: bearer(tokens.admin!) })
      expect(res.json()).toMatchObject({ status: 418, code: 'TEAPOT' })
    })

    it.each([
      ['an empty object', {}],
      ['an empty role list', []],
      ['an empty role name', ''],
      ['roles that are not strings', { roles: [1] }],
      ['an empty permission list', { permissions: [] }],
      ['a check that is not a function', { check: true }],
      ['null', null],
    ])('should refuse %s as a requirement', async (_name, requirement) => {
      const guarded = await base()
      try {
        expect(() => guarded.authorize(requirement as never)).toThrow(
          expect.objectContaining({ code: 'KEEL_ERR_AUTH_INVALID_REQUIREMENT' }),
        )
      } finally {
        await guarded.close()
      }
    })

    describe('boot check', () => {
      it.each([
        ['authorize alone', (a: FastifyInstance) => ({ onRequest: [a.authorize('admin')] })],
        [
          'authorize before authenticate',
          (a: FastifyInstance) => ({ onRequest: [a.authorize('admin'), a.authenticate] }),
        ],
        ['authorize as a single hook', (a: FastifyInstance) => ({ onRequest: a.authorize('admin') })],
        [
          'authorize in onRequest, authenticate in preHandler',
          (a: FastifyInstance) => ({ onRequest: [a.authorize('admin')], preHandler: [a.authenticate] }),
        ],
      ])('should fail boot with KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE for %s', async (_name, hooks) => {
        const guarded = await base()
        guarded.get('/x', hooks(guarded), async () => 'ok')
        await expect(guarded.ready()).rejects.toMatchObject({ code: 'KEEL_ERR_AUTH_AUTHORIZE_WITHOUT_AUTHENTICATE' })
        await guarded.close()
      })

      it('should accept authenticate added as a scope hook, even after the route', async () => {
        const guarded = await base()
        await guarded.register(async (scope) => {
          scope.get('/x', { onRequest: [scope.authorize('admin')] }, async () => 'ok')
          scope.addHook('onRequest', scope.authenticate)
        })
        try {
          await guarded.ready()
          const member = await guarded.tokens.issue({ sub: 'm', roles: ['member'] })
          expect((await guarded.inject({ url: '/x', headers: bearer(member.accessToken) })).statusCode).toBe(403)
          expect((await guarded.inject('/x')).statusCode).toBe(401)
        } finally {
          await guarded.close()
        }
      })

      it('should accept authenticate in a parent scope', async () => {
        const guarded = await base()
        guarded.addHook('onRequest', guarded.authenticate)
        await guarded.register(async (scope) => {
          scope.get('/x', { preHandler: scope.authorize('admin') }, async () => 'ok')
        })
        try {
          await expect(guarded.ready()).resolves.toBeDefined()
        } finally {
          await guarded.close()
        }
      })
    })

    describe('request.user', () => {
      async function buildMutating(verifyCache?: number) {
        const app = Fastify()
        await app.register(keelAuth, {
          secret: hsSecret,
          issuer,
          audience,
          ...(verifyCache === undefined ? {} : { verifyCache }),
        })
        app.get('/mutate', { onRequest: [app.authenticate] }, async (request) => {
          const outcome: Record<string, string> = {}
          const tries: Record<string, () => void> = {
            pushRole: () => request.user.roles.push('admin'),
            setRoles: () => {
              ;(request.user as { roles: string[] }).roles = ['admin']
            },
            setPermissions: () => {
              ;(request.user as { permissions?: string[] }).permissions = ['post:publish']
            },
            nested: () => {
              ;(request.user as unknown as { profile: { level: string } }).profile.level = 'root'
            },
          }
          for (const [name, attempt] of Object.entries(tries)) {
            try {
              attempt()
              outcome[name] = 'changed'
            } catch (error) {
              outcome[name] = error instanceof TypeError ? 'refused' : 'other'
            }
          }
          return outcome
        })
        app.get('/admin', { onRequest: [app.authenticate, app.authorize('admin')] }, async () => 'ok')
        app.get(
          '/publish',
          { onRequest: [app.authenticate, app.authorize({ permissions: ['post:publish'] })] },
          async () => 'ok',
        )
        app.get('/profile', { onRequest: [app.authenticate] }, async (request) => request.user)
        return app
      }

      it.each([
        ['with the verified-token cache', undefined],
        ['without the verified-token cache', 0],
      ])('should not let a handler escalate later requests by mutating request.user (%s)', async (_name, cache) => {
        const app = await buildMutating(cache)
        try {
          const { accessToken } = await app.tokens.issue({
            sub: 'user-m',
            roles: ['member'],
            profile: { level: 'basic' },
          } as never)
          const headers = bearer(accessToken)
          expect((await app.inject({ url: '/admin', headers })).statusCode).toBe(403)
          const mutated = await app.inject({ url: '/mutate', headers })
          expect(mutated.json()).toEqual({
            pushRole: 'refused',
            setRoles: 'refused',
            setPermissions: 'refused',
            nested: 'refused',
          })
          expect((await app.inject({ url: '/admin', headers })).statusCode).toBe(403)
          expect((await app.inject({ url: '/publish', headers })).statusCode).toBe(403)
          expect((await app.inject({ url: '/profile', headers })).json()).toMatchObject({
            roles: ['member'],
            profile: { level: 'basic' },
          })
        } finally {
          await app.close()
        }
      })
    })
  })
})
