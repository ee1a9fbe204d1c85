import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audience, bearer, forge, hsSecret, issuer, rsaKeys, validClaims } from './fixtures.js'

// One app with an RSA key (current) and an HS256 key, each pinned to its algorithm.
const rsa = rsaKeys()
const secret = {
  keys: [
    { kid: 'rs', algorithm: 'RS256' as const, privateKey: rsa.privateKey },
    { kid: 'hs', algorithm: 'HS256' as const, secret: hsSecret },
  ],
  current: 'rs',
}
const rsHeader = { alg: 'RS256', typ: 'JWT', kid: 'rs' }
const hsHeader = { alg: 'HS256', typ: 'JWT', kid: 'hs' }
const now = () => Math.floor(Date.now() / 1000)

function tamperPayload(token: string): string {
  const [header, , signature] = token.split('.')
  const payload = Buffer.from(JSON.stringify(validClaims({ sub: 'admin', roles: ['admin'] }))).toString('base64url')
  return `${header}.${payload}.${signature}`
}

function tamperSignature(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A'
  return `${token.slice(0, -2)}${last}${token.at(-1)}`
}

const missing = { code: 'TOKEN_MISSING', challenge: 'Bearer' }
const invalid = { code: 'TOKEN_INVALID', challenge: 'Bearer error="invalid_token"' }
const expired = { code: 'TOKEN_EXPIRED', challenge: 'Bearer error="invalid_token"' }

// [case, Authorization header (undefined: none), expected]
const hostile: Array<[string, () => string | undefined, typeof invalid]> = [
  ['no Authorization header', () => undefined, missing],
  ['an empty Authorization header', () => '', missing],
  ['a Basic scheme', () => 'Basic dXNlcjpwYXNz', missing],
  ['a bare token without scheme', () => forge(rsHeader, validClaims(), rsa.privateKey), missing],
  ['"Bearer" with no token', () => 'Bearer', invalid],
  ['"Bearer " with blank token', () => 'Bearer    ', invalid],
  ['two tokens after Bearer', () => `Bearer ${forge(rsHeader, validClaims(), rsa.privateKey)} extra`, invalid],
  ['garbage base64', () => 'Bearer !!!.@@@.###', invalid],
  ['a single segment', () => 'Bearer abcdef', invalid],
  ['a header that is not JSON', () => `Bearer ${Buffer.from('not json').toString('base64url')}.e30.sig`, invalid],
  [
    'alg none, no signature',
    () => `Bearer ${forge({ alg: 'none', typ: 'JWT', kid: 'rs' }, validClaims(), undefined)}`,
    invalid,
  ],
  ['alg none with the HS kid', () => `Bearer ${forge({ alg: 'none', kid: 'hs' }, validClaims(), undefined)}`, invalid],
  [
    'HS256 signed with the RSA public key (algorithm confusion)',
    () => `Bearer ${forge({ alg: 'HS256', typ: 'JWT', kid: 'rs' }, validClaims(), rsa.publicKey)}`,
    invalid,
  ],
  [
    'RS256 under the HS256 key id (algorithm pinned per key)',
    () => `Bearer ${forge({ alg: 'RS256', typ: 'JWT', kid: 'hs' }, validClaims(), rsa.privateKey)}`,
    invalid,
  ],
  [
    'a wrong issuer',
    () => `Bearer ${forge(rsHeader, validClaims({ iss: 'https://evil.test' }), rsa.privateKey)}`,
    invalid,
  ],
  ['a wrong audience', () => `Bearer ${forge(rsHeader, validClaims({ aud: 'other-api' }), rsa.privateKey)}`, invalid],
  [
    'an expired token',
    () => `Bearer ${forge(rsHeader, validClaims({ iat: now() - 900, exp: now() - 60 }), rsa.privateKey)}`,
    expired,
  ],
  ['nbf in the future', () => `Bearer ${forge(rsHeader, validClaims({ nbf: now() + 600 }), rsa.privateKey)}`, invalid],
  ['a tampered payload', () => `Bearer ${tamperPayload(forge(rsHeader, validClaims(), rsa.privateKey))}`, invalid],
  ['a tampered signature', () => `Bearer ${tamperSignature(forge(hsHeader, validClaims(), hsSecret))}`, invalid],
  [
    'a signature stripped off',
    () => `Bearer ${forge(hsHeader, validClaims(), hsSecret).replace(/\.[^.]+$/, '.')}`,
    invalid,
  ],
  [
    'an unknown kid',
    () => `Bearer ${forge({ alg: 'HS256', typ: 'JWT', kid: 'nope' }, validClaims(), randomBytes(32).toString('hex'))}`,
    invalid,
  ],
  ['no kid at all', () => `Bearer ${forge({ alg: 'HS256', typ: 'JWT' }, validClaims(), hsSecret)}`, invalid],
  ['a kid that is not a string', () => `Bearer ${forge({ alg: 'HS256', kid: 7 }, validClaims(), hsSecret)}`, invalid],
  [
    'HS256 signed with another secret',
    () => `Bearer ${forge(hsHeader, validClaims(), randomBytes(32).toString('hex'))}`,
    invalid,
  ],
  [
    'a validly signed token over 8 KB',
    () => `Bearer ${forge(rsHeader, validClaims({ pad: 'x'.repeat(8200) }), rsa.privateKey)}`,
    invalid,
  ],
  ['no exp claim', () => `Bearer ${forge(rsHeader, validClaims({ exp: undefined }), rsa.privateKey)}`, invalid],
  ['no sub claim', () => `Bearer ${forge(rsHeader, validClaims({ sub: undefined }), rsa.privateKey)}`, invalid],
  ['a numeric sub', () => `Bearer ${forge(rsHeader, validClaims({ sub: 42 }), rsa.privateKey)}`, invalid],
  // Issue 12 item 1: fast-jwt checks iss and aud only when present; keel requires them.
  ['no iss claim', () => `Bearer ${forge(rsHeader, validClaims({ iss: undefined }), rsa.privateKey)}`, invalid],
  ['no aud claim', () => `Bearer ${forge(rsHeader, validClaims({ aud: undefined }), rsa.privateKey)}`, invalid],
  ['no iat claim', () => `Bearer ${forge(rsHeader, validClaims({ iat: undefined }), rsa.privateKey)}`, invalid],
  ['no jti claim', () => `Bearer ${forge(rsHeader, validClaims({ jti: undefined }), rsa.privateKey)}`, invalid],
  ['an empty sub', () => `Bearer ${forge(rsHeader, validClaims({ sub: '' }), rsa.privateKey)}`, invalid],
  ['a string iat', () => `Bearer ${forge(rsHeader, validClaims({ iat: 'now' }), rsa.privateKey)}`, invalid],
  [
    'a private issue time that is not a number',
    () => `Bearer ${forge(rsHeader, validClaims({ iat_ms: '1' }), rsa.privateKey)}`,
    invalid,
  ],
  [
    'roles that are not a list',
    () => `Bearer ${forge(rsHeader, validClaims({ roles: { admin: true } }), rsa.privateKey)}`,
    invalid,
  ],
  [
    'an audience list without ours',
    () => `Bearer ${forge(rsHeader, validClaims({ aud: ['other-api', 'third-api'] }), rsa.privateKey)}`,
    invalid,
  ],
  [
    'a kid of the HS key with an RS256 signature and no typ',
    () => `Bearer ${forge({ alg: 'RS256', kid: 'hs' }, validClaims(), rsa.privateKey)}`,
    invalid,
  ],
  [
    'an unsupported crit header',
    () => `Bearer ${forge({ ...rsHeader, crit: ['x'], x: 1 }, validClaims(), rsa.privateKey)}`,
    invalid,
  ],
  ['a payload that is not an object', () => `Bearer ${forge(rsHeader, [] as never, rsa.privateKey)}`, invalid],
]

describe('auth', () => {
  describe('hostile tokens', () => {
    let app: FastifyInstance
    let problems: FastifyInstance

    beforeAll(async () => {
      app = Fastify()
      await app.register(keelAuth, { secret, issuer, audience })
      app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
      problems = Fastify()
      await problems.register(keelErrors)
      await problems.register(keelAuth, { secret, issuer, audience })
      problems.get('/me', { onRequest: [problems.authenticate] }, async (request) => ({ sub: request.user.sub }))
    })
    afterAll(async () => {
      await app.close()
      await problems.close()
    })

    it('should have at least 15 hostile cases', () => {
      expect(hostile.length).toBeGreaterThanOrEqual(15)
    })

    it('should accept the untampered control tokens the cases are made from', async () => {
      for (const token of [forge(rsHeader, validClaims(), rsa.privateKey), forge(hsHeader, validClaims(), hsSecret)]) {
        const res = await app.inject({ url: '/me', headers: bearer(token) })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toEqual({ sub: 'user-1' })
      }
    })

    it.each(hostile)('should answer 401 to %s (default error handler)', async (_name, header, expected) => {
      const value = header()
      const res = await app.inject({ url: '/me', headers: value === undefined ? {} : { authorization: value } })
      expect({ status: res.statusCode, code: res.json().code, challenge: res.headers['www-authenticate'] }).toEqual({
        status: 401,
        code: expected.code,
        challenge: expected.challenge,
      })
    })

    it.each(hostile)('should answer a 401 problem document to %s (keelErrors)', async (_name, header, expected) => {
      const value = header()
      const res = await problems.inject({ url: '/me', headers: value === undefined ? {} : { authorization: value } })
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['www-authenticate']).toBe(expected.challenge)
      expect(res.json()).toMatchObject({ status: 401, code: expected.code, title: 'Unauthorized' })
    })

    it('should accept a lower-case bearer scheme', async () => {
      const token = forge(rsHeader, validClaims(), rsa.privateKey)
      const res = await app.inject({ url: '/me', headers: { authorization: `bearer ${token}` } })
      expect(res.statusCode).toBe(200)
    })

    it('should put the realm in the challenge when configured', async () => {
      const realmApp = Fastify()
      await realmApp.register(keelAuth, { secret, issuer, audience, realm: 'example' })
      realmApp.get('/me', { onRequest: [realmApp.authenticate] }, async () => 'ok')
      try {
        const none = await realmApp.inject({ url: '/me' })
        expect(none.headers['www-authenticate']).toBe('Bearer realm="example"')
        const bad = await realmApp.inject({ url: '/me', headers: bearer('a.b.c') })
        expect(bad.headers['www-authenticate']).toBe('Bearer realm="example", error="invalid_token"')
      } finally {
        await realmApp.close()
      }
    })
  })
})
