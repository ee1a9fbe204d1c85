import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelResourceServer } from 'fastify-keel/resource-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'
import { ecKeys, hsSecret, rsaKeys } from './fixtures.js'
import { makeKey, type StandIn, startStandIn } from './idp/stand-in.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('auth', () => {
  describe('resource server: one keel service issues, another only verifies', () => {
    const rsa = rsaKeys()
    const ec = ecKeys()
    let issuing: FastifyInstance
    let verifying: FastifyInstance

    beforeAll(async () => {
      issuing = Fastify()
      await issuing.register(keelAuth, {
        secret: {
          keys: [
            { kid: '2026-01', algorithm: 'ES256', privateKey: ec.privateKey },
            { kid: '2026-06', algorithm: 'RS256', privateKey: rsa.privateKey },
          ],
          current: '2026-06',
        },
        issuer: 'https://accounts.example.test',
        audience: 'orders-api',
        jwks: true,
      })
      await issuing.listen({ host: '127.0.0.1', port: 0 })
      const { port } = issuing.server.address() as AddressInfo
      verifying = Fastify()
      await verifying.register(keelErrors)
      await verifying.register(keelResourceServer, {
        issuers: [
          {
            issuer: 'https://accounts.example.test',
            jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
            audience: 'orders-api',
            algorithms: ['RS256', 'ES256'],
          },
        ],
      })
      verifying.get(
        '/orders',
        { onRequest: [verifying.authenticate, verifying.authorize('buyer')] },
        async (request) => ({
          sub: request.user.sub,
          jti: request.user.jti,
        }),
      )
    })
    afterAll(async () => {
      await verifying.close()
      await issuing.close()
    })

    it("should accept keel's own tokens through keel's /.well-known/jwks.json, roles and all", async () => {
      const { accessToken } = await issuing.tokens.issue({ sub: 'u1', roles: ['buyer'] })
      const res = await verifying.inject({ url: '/orders', headers: bearer(accessToken) })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ sub: 'u1', jti: expect.any(String) })
      const { accessToken: other } = await issuing.tokens.issue({ sub: 'u2', roles: ['seller'] })
      expectProblem(await verifying.inject({ url: '/orders', headers: bearer(other) }), 403, 'FORBIDDEN')
    })

    it('should refuse a token the issuing service signed for another audience', async () => {
      const other = Fastify()
      await other.register(keelAuth, {
        secret: { keys: [{ kid: '2026-06', algorithm: 'RS256', privateKey: rsa.privateKey }], current: '2026-06' },
        issuer: 'https://accounts.example.test',
        audience: 'billing-api',
      })
      try {
        const { accessToken } = await other.tokens.issue({ sub: 'u1', roles: ['buyer'] })
        expectProblem(await verifying.inject({ url: '/orders', headers: bearer(accessToken) }), 401, 'TOKEN_INVALID')
      } finally {
        await other.close()
      }
    })
  })

  describe('resource server: keelAuth with its own keys and an identity provider', () => {
    let idp: StandIn
    let app: FastifyInstance

    beforeAll(async () => {
      idp = await startStandIn([makeKey('ES256', 'idp-key')])
      app = Fastify()
      await app.register(keelErrors)
      await app.register(keelAuth, {
        secret: hsSecret,
        issuer: 'https://api.test',
        audience: 'test-api',
        issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: idp.audience, algorithms: ['ES256'] }],
      })
      app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({
        sub: request.user.sub,
        iss: request.user.iss,
      }))
    })
    afterAll(async () => {
      await app.close()
      await idp.close()
    })

    it("should accept keel's own tokens and the identity provider's", async () => {
      const { accessToken } = await app.tokens.issue({ sub: 'local-user' })
      expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).json()).toEqual({
        sub: 'local-user',
        iss: 'https://api.test',
      })
      // No kid in the header: the token's iss decides, not keel's only key.
      const external = idp.token({}, idp.keys[0], { kid: undefined })
      expect((await app.inject({ url: '/me', headers: bearer(external) })).json()).toEqual({
        sub: 'idp-user-1',
        iss: idp.issuer,
      })
    })

    it("should apply revokeAll to keel's own tokens only (the identity provider revokes its own)", async () => {
      const { accessToken } = await app.tokens.issue({ sub: 'idp-user-1' })
      const external = idp.token({ jti: 'e1' })
      await new Promise((resolve) => setTimeout(resolve, 5))
      await app.tokens.revokeAll('idp-user-1')
      expectProblem(await app.inject({ url: '/me', headers: bearer(accessToken) }), 401, 'TOKEN_REVOKED')
      expect((await app.inject({ url: '/me', headers: bearer(external) })).statusCode).toBe(200)
    })

    it("should not look up the provider's own sid among keel's sessions (session-bound access tokens)", async () => {
      // Keycloak and others put their session id in `sid`; no keel session has it, and none is asked for.
      const external = idp.token({ sid: 'f3b1c0de-keycloak-session', jti: 'e2' })
      const res = await app.inject({ url: '/me', headers: bearer(external) })
      expect(res.statusCode).toBe(200)
    })

    it("should refuse an identity provider's token that claims keel's own issuer", async () => {
      const forged = idp.token({ iss: 'https://api.test', aud: 'test-api' })
      expectProblem(await app.inject({ url: '/me', headers: bearer(forged) }), 401, 'TOKEN_INVALID')
    })
  })
})
