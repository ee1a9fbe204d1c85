import { describe, expect, it, vi } from 'vitest'
import { audience, bearer, buildApp, forge, hsSecret, issuer, rsaKeys, validClaims } from './fixtures.js'

// Tokens minted by another service that shares the key: every registered claim, none of keel's private ones.
const now = () => Math.floor(Date.now() / 1000)
const foreignClaims = (overrides: Record<string, unknown> = {}) =>
  validClaims({ iat_ms: undefined, roles: undefined, jti: 'other-jti', ...overrides })
const hsHeader = { alg: 'HS256', typ: 'JWT', kid: 'default' }

describe('auth', () => {
  describe('tokens from another issuer', () => {
    it('should accept a token with iss, aud, sub, iat, exp and jti but no iat_ms, with no roles', async () => {
      const app = await buildApp()
      try {
        const res = await app.inject({ url: '/me', headers: bearer(forge(hsHeader, foreignClaims(), hsSecret)) })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ sub: 'user-1', roles: [], iss: issuer, aud: audience, jti: 'other-jti' })
      } finally {
        await app.close()
      }
    })

    it('should compare its iat (seconds) with the not-before time of revokeAll', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        vi.setSystemTime(new Date('2030-01-01T00:00:00.500Z'))
        const app = await buildApp()
        try {
          const before = forge(hsHeader, foreignClaims({ iat: now() - 10, exp: now() + 600 }), hsSecret)
          expect((await app.inject({ url: '/me', headers: bearer(before) })).statusCode).toBe(200)
          await app.tokens.revokeAll('user-1')
          const revoked = await app.inject({ url: '/me', headers: bearer(before) })
          expect({ status: revoked.statusCode, code: revoked.json().code }).toEqual({
            status: 401,
            code: 'TOKEN_REVOKED',
          })
          // iat has whole seconds: a token of the same second is older than the mark (fail closed), the next is not.
          const sameSecond = forge(hsHeader, foreignClaims({ iat: now(), exp: now() + 600 }), hsSecret)
          expect((await app.inject({ url: '/me', headers: bearer(sameSecond) })).json().code).toBe('TOKEN_REVOKED')
          vi.setSystemTime(new Date('2030-01-01T00:00:01.000Z'))
          const after = forge(hsHeader, foreignClaims({ iat: now(), exp: now() + 600 }), hsSecret)
          expect((await app.inject({ url: '/me', headers: bearer(after) })).statusCode).toBe(200)
        } finally {
          await app.close()
        }
      } finally {
        vi.useRealTimers()
      }
    })

    it.each([
      ['no kid', { alg: 'HS256', typ: 'JWT' }],
      ['no kid and no typ', { alg: 'HS256' }],
      ['typ at+jwt and the right kid', { alg: 'HS256', typ: 'at+jwt', kid: 'default' }],
    ])('should verify a token with %s against the only configured key', async (_name, header) => {
      const app = await buildApp()
      try {
        const res = await app.inject({ url: '/me', headers: bearer(forge(header, foreignClaims(), hsSecret)) })
        expect(res.statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['at+jwt (RFC 9068)', 'at+jwt'],
      ['application/at+jwt', 'application/at+jwt'],
      ['AT+JWT (media types are case-insensitive)', 'AT+JWT'],
      ['JWT (the transition: keel before at+jwt, other issuers)', 'JWT'],
      ['jwt', 'jwt'],
    ])('should accept typ %s', async (_name, typ) => {
      const app = await buildApp()
      try {
        const token = forge({ alg: 'HS256', typ, kid: 'default' }, foreignClaims(), hsSecret)
        expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['another kind of JWT (a DPoP proof)', 'dpop+jwt'],
      ['a security event token', 'secevent+jwt'],
      ['a logout token', 'logout+jwt'],
      ['a number', 1],
    ])('should answer 401 TOKEN_INVALID to typ %s, even correctly signed', async (_name, typ) => {
      const app = await buildApp()
      try {
        for (const header of [
          { alg: 'HS256', typ, kid: 'default' },
          { alg: 'HS256', typ },
        ]) {
          const res = await app.inject({ url: '/me', headers: bearer(forge(header, foreignClaims(), hsSecret)) })
          expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_INVALID' })
        }
      } finally {
        await app.close()
      }
    })

    it('should refuse a sid of no session here when access tokens are session-bound, and not when stateless', async () => {
      const token = forge(hsHeader, foreignClaims({ sid: 'their-session' }), hsSecret)
      const bound = await buildApp()
      const stateless = await buildApp({ accessTokens: 'stateless' })
      try {
        const res = await bound.inject({ url: '/me', headers: bearer(token) })
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_REVOKED' })
        expect((await stateless.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
        const odd = forge(hsHeader, foreignClaims({ sid: 7 }), hsSecret)
        expect((await stateless.inject({ url: '/me', headers: bearer(odd) })).json().code).toBe('TOKEN_INVALID')
      } finally {
        await bound.close()
        await stateless.close()
      }
    })

    it('should refuse a token without kid when several keys are configured', async () => {
      const rsa = rsaKeys()
      const app = await buildApp({
        secret: {
          keys: [
            { kid: 'hs', algorithm: 'HS256', secret: hsSecret },
            { kid: 'rs', algorithm: 'RS256', privateKey: rsa.privateKey },
          ],
          current: 'rs',
        },
      })
      try {
        for (const token of [
          forge({ alg: 'HS256', typ: 'JWT' }, foreignClaims(), hsSecret),
          forge({ alg: 'RS256', typ: 'JWT' }, foreignClaims(), rsa.privateKey),
        ]) {
          const res = await app.inject({ url: '/me', headers: bearer(token) })
          expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_INVALID' })
        }
        const withKid = forge({ alg: 'RS256', typ: 'JWT', kid: 'rs' }, foreignClaims(), rsa.privateKey)
        expect((await app.inject({ url: '/me', headers: bearer(withKid) })).statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['iss', { iss: undefined }],
      ['aud', { aud: undefined }],
    ])('should answer 401 TOKEN_INVALID to a correctly signed token lacking only %s', async (_claim, overrides) => {
      const app = await buildApp()
      try {
        const token = forge(hsHeader, validClaims(overrides), hsSecret)
        const res = await app.inject({ url: '/me', headers: bearer(token) })
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_INVALID' })
        // The control: the same claims with iss and aud pass.
        expect(
          (await app.inject({ url: '/me', headers: bearer(forge(hsHeader, validClaims(), hsSecret)) })).statusCode,
        ).toBe(200)
      } finally {
        await app.close()
      }
    })

    it('should accept an audience list that contains ours', async () => {
      const app = await buildApp()
      try {
        const token = forge(hsHeader, foreignClaims({ aud: ['other-api', audience] }), hsSecret)
        const res = await app.inject({ url: '/me', headers: bearer(token) })
        expect(res.statusCode).toBe(200)
        expect(res.json().aud).toEqual(['other-api', audience])
      } finally {
        await app.close()
      }
    })
  })
})
