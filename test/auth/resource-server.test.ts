import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import {
  type KeelIssuerOptions,
  type KeelResourceServerOptions,
  keelResourceServer,
} from 'fastify-keel/resource-server'
import { importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'
import { makeKey, type StandIn, type StandInKey, startStandIn } from './idp/stand-in.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function verifier(
  idp: StandIn,
  issuer: Partial<KeelIssuerOptions> = {},
  options: Partial<KeelResourceServerOptions> = {},
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keelErrors)
  await app.register(keelResourceServer, {
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: idp.audience, algorithms: ['RS256'], ...issuer }],
    ...options,
  })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => request.user)
  return app
}

/** The same token as jose mints it: `SignJWT` with the stand-in's private key exported as a JWK. */
async function joseToken(idp: StandIn, key: StandInKey, claims: Record<string, unknown> = {}): Promise<string> {
  const privateJwk = key.privateKey.export({ format: 'jwk' })
  const signingKey = await importJWK({ ...privateJwk, alg: key.alg }, key.alg)
  return new SignJWT({ scope: 'read:users', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(idp.issuer)
    .setAudience(idp.audience)
    .setSubject('idp-user-1')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(signingKey)
}

describe('auth', () => {
  describe('resource server: verifying tokens of an identity provider', () => {
    const keys = {
      RS256: makeKey('RS256', 'rs'),
      PS256: makeKey('PS256', 'ps'),
      ES256: makeKey('ES256', 'es'),
      EdDSA: makeKey('EdDSA', 'ed'),
    }
    let idp: StandIn

    beforeAll(async () => {
      idp = await startStandIn(Object.values(keys))
    })
    afterAll(async () => {
      await idp.close()
    })

    it.each(Object.keys(keys) as Array<keyof typeof keys>)('should accept a %s token minted by jose', async (alg) => {
      const app = await verifier(idp, { algorithms: [alg] })
      try {
        const res = await app.inject({ url: '/me', headers: bearer(await joseToken(idp, keys[alg])) })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ sub: 'idp-user-1', iss: idp.issuer, aud: idp.audience, roles: [] })
      } finally {
        await app.close()
      }
    })

    it('should find the JWK Set through OpenID discovery', async () => {
      const app = await verifier(idp, { jwksUri: undefined, discovery: true, algorithms: ['ES256'] })
      const before = { ...idp.fetches }
      try {
        const res = await app.inject({ url: '/me', headers: bearer(idp.token({}, keys.ES256)) })
        expect(res.statusCode).toBe(200)
        expect(idp.fetches.discovery - before.discovery).toBe(1)
        expect(idp.fetches.jwks - before.jwks).toBe(1)
      } finally {
        await app.close()
      }
    })

    it('should refuse the keys of a discovery document that names another issuer (503, nothing fetched from it)', async () => {
      idp.discovery = { issuer: 'https://evil.test' }
      const app = await verifier(idp, { jwksUri: undefined, discovery: true })
      const before = idp.fetches.jwks
      try {
        const res = await app.inject({ url: '/me', headers: bearer(idp.token()) })
        expectProblem(res, 503, 'TOKEN_KEYS_UNAVAILABLE')
        expect(res.headers['retry-after']).toBeDefined()
        expect(idp.fetches.jwks).toBe(before)
      } finally {
        idp.discovery = {}
        await app.close()
      }
    })

    it('should accept an audience list that contains one of the accepted audiences', async () => {
      const app = await verifier(idp, { audience: ['other-api', idp.audience] })
      try {
        const token = idp.token({ aud: ['third-api', idp.audience] })
        expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it('should require the configured typ (at+jwt) and refuse a token without it', async () => {
      const app = await verifier(idp, { typ: 'at+jwt' })
      try {
        const ok = await app.inject({ url: '/me', headers: bearer(idp.token({}, keys.RS256, { typ: 'at+jwt' })) })
        expect(ok.statusCode).toBe(200)
        for (const typ of ['JWT', undefined]) {
          const res = await app.inject({ url: '/me', headers: bearer(idp.token({}, keys.RS256, { typ })) })
          expectProblem(res, 401, 'TOKEN_INVALID')
        }
      } finally {
        await app.close()
      }
    })

    it('should enforce exp on a token the verified-token cache holds', async () => {
      const app = await verifier(idp, {}, { clockTolerance: 0 })
      try {
        const now = Math.floor(Date.now() / 1000)
        const token = idp.token({ iat: now - 10, exp: now + 2 })
        expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
        const fetched = idp.fetches.jwks
        await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50))
        const res = await app.inject({ url: '/me', headers: bearer(token) })
        expectProblem(res, 401, 'TOKEN_EXPIRED')
        expect(idp.fetches.jwks).toBe(fetched)
      } finally {
        await app.close()
      }
    })

    it('should have no app.tokens: keel issues nothing in resource-server mode', async () => {
      const app = await verifier(idp)
      try {
        await app.ready()
        expect(app.hasDecorator('tokens')).toBe(false)
        expect(app.hasDecorator('authenticate')).toBe(true)
      } finally {
        await app.close()
      }
    })
  })
})
