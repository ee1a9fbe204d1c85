import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { type KeelIssuerOptions, keelResourceServer } from 'fastify-keel/resource-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'
import { makeKey, type StandIn, startStandIn } from './idp/stand-in.js'

// Four identity providers, each putting roles and permissions where its real counterpart does; one app accepts
// them all, and the same `authorize` guards decide for each.
const shapes = {
  keycloak: {
    claims: {
      roles: (claims: Readonly<Record<string, unknown>>) => {
        const realm = (claims.realm_access as { roles?: string[] } | undefined)?.roles ?? []
        const client =
          (claims.resource_access as Record<string, { roles?: string[] }> | undefined)?.['users-api']?.roles ?? []
        return [...realm, ...client]
      },
      permissions: 'scope',
    },
    admin: { realm_access: { roles: ['admin', 'offline_access'] }, scope: 'openid profile users:read' },
    member: {
      realm_access: { roles: ['member'] },
      resource_access: { 'users-api': { roles: ['viewer'] } },
      scope: 'openid',
    },
  },
  auth0: {
    claims: { roles: ['https://example.com/roles'], permissions: 'permissions' },
    admin: { 'https://example.com/roles': ['admin'], permissions: ['users:read'], scope: 'openid' },
    member: { 'https://example.com/roles': ['member'], permissions: [] },
  },
  cognito: {
    // Cognito access tokens have no `aud`: the app client id is in `client_id`.
    audienceClaim: 'client_id',
    claims: { roles: 'cognito:groups', permissions: 'scope' },
    admin: {
      aud: undefined,
      client_id: '1example23456789',
      token_use: 'access',
      'cognito:groups': ['admin'],
      scope: 'users:read aws.cognito.signin.user.admin',
    },
    member: {
      aud: undefined,
      client_id: '1example23456789',
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
    },
  },
  entra: {
    claims: { subject: 'oid', roles: 'roles', permissions: 'scp' },
    admin: { oid: '00000000-0000-0000-0000-00000000000a', roles: ['admin'], scp: 'users:read User.Read' },
    member: { oid: '00000000-0000-0000-0000-00000000000b', scp: 'User.Read' },
  },
} satisfies Record<
  string,
  { claims: KeelIssuerOptions['claims']; audienceClaim?: string; admin: object; member: object }
>
type Shape = keyof typeof shapes

describe('auth', () => {
  describe('resource server: claim mapping', () => {
    const idps = {} as Record<Shape, StandIn>
    let app: FastifyInstance

    beforeAll(async () => {
      for (const shape of Object.keys(shapes) as Shape[]) idps[shape] = await startStandIn([makeKey('RS256', shape)])
      app = Fastify()
      await app.register(keelErrors)
      await app.register(keelResourceServer, {
        issuers: (Object.keys(shapes) as Shape[]).map(
          (shape): KeelIssuerOptions => ({
            issuer: idps[shape].issuer,
            jwksUri: idps[shape].jwksUri,
            audience: shape === 'cognito' ? '1example23456789' : idps[shape].audience,
            algorithms: ['RS256'],
            claims: shapes[shape].claims,
            ...(shape === 'cognito' ? { audienceClaim: shapes.cognito.audienceClaim } : {}),
          }),
        ),
      })
      app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({
        sub: request.user.sub,
        roles: request.user.roles,
        permissions: request.user.permissions,
      }))
      app.get('/admin', { onRequest: [app.authenticate, app.authorize('admin')] }, async () => 'ok')
      app.get(
        '/users',
        { onRequest: [app.authenticate, app.authorize({ permissions: ['users:read'] })] },
        async () => 'ok',
      )
    })
    afterAll(async () => {
      await app.close()
      for (const idp of Object.values(idps)) await idp.close()
    })

    const token = (shape: Shape, who: 'admin' | 'member') => ({
      authorization: `Bearer ${idps[shape].token(shapes[shape][who])}`,
    })

    it.each(Object.keys(shapes) as Shape[])(
      'should map the %s claims onto sub, roles and permissions',
      async (shape) => {
        const res = await app.inject({ url: '/me', headers: token(shape, 'admin') })
        expect(res.statusCode).toBe(200)
        const user = res.json()
        expect(user.roles).toContain('admin')
        expect(user.permissions).toContain('users:read')
        expect(user.sub).toBe(shape === 'entra' ? shapes.entra.admin.oid : 'idp-user-1')
      },
    )

    it.each(Object.keys(shapes) as Shape[])(
      'should let authorize guards decide on %s tokens unchanged',
      async (shape) => {
        expect((await app.inject({ url: '/admin', headers: token(shape, 'admin') })).statusCode).toBe(200)
        expect((await app.inject({ url: '/users', headers: token(shape, 'admin') })).statusCode).toBe(200)
        const admin = await app.inject({ url: '/admin', headers: token(shape, 'member') })
        expectProblem(admin, 403, 'FORBIDDEN')
        expect(admin.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"')
        expectProblem(await app.inject({ url: '/users', headers: token(shape, 'member') }), 403, 'FORBIDDEN')
      },
    )

    it('should read a list claim given as one space-separated string, and a missing one as empty', async () => {
      const res = await app.inject({ url: '/me', headers: token('cognito', 'member') })
      expect(res.json()).toMatchObject({ roles: [], permissions: ['aws.cognito.signin.user.admin'] })
      const keycloak = await app.inject({ url: '/me', headers: token('keycloak', 'member') })
      expect(keycloak.json()).toMatchObject({ roles: ['member', 'viewer'], permissions: ['openid'] })
    })

    it('should take the audience from audienceClaim (Cognito client_id) and require it', async () => {
      const res = await app.inject({ url: '/me', headers: token('cognito', 'admin') })
      expect(res.statusCode).toBe(200)
      for (const overrides of [{ client_id: 'another-client' }, { client_id: undefined, aud: '1example23456789' }]) {
        const headers = { authorization: `Bearer ${idps.cognito.token({ ...shapes.cognito.admin, ...overrides })}` }
        expectProblem(await app.inject({ url: '/me', headers }), 401, 'TOKEN_INVALID')
      }
    })

    it('should refuse a token whose mapped subject is missing (401)', async () => {
      const headers = { authorization: `Bearer ${idps.entra.token({ roles: ['admin'] })}` }
      expectProblem(await app.inject({ url: '/me', headers }), 401, 'TOKEN_INVALID')
    })

    it('should hand the verified user to handlers frozen', async () => {
      const app2 = Fastify()
      await app2.register(keelResourceServer, {
        issuers: [
          {
            issuer: idps.auth0.issuer,
            jwksUri: idps.auth0.jwksUri,
            audience: idps.auth0.audience,
            algorithms: ['RS256'],
          },
        ],
      })
      app2.get('/mutate', { onRequest: [app2.authenticate] }, async (request) => {
        try {
          request.user.roles.push('admin')
          return 'mutated'
        } catch {
          return 'frozen'
        }
      })
      try {
        const res = await app2.inject({ url: '/mutate', headers: token('auth0', 'member') })
        expect(res.body).toBe('frozen')
      } finally {
        await app2.close()
      }
    })
  })
})
