import { generateKeyPairSync, randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { keelResourceServer } from 'fastify-keel/resource-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeKey, type StandIn, type StandInKey, signJwt, startStandIn } from './idp/stand-in.js'

// One identity provider publishing: an RS256 key, an RSA key without `alg`, an RSA key for encryption only, an ES256
// and an EdDSA key, and a symmetric (`oct`) key. keel accepts RS256, PS256, ES256 and EdDSA from it.
const keys = {
  rs: makeKey('RS256', 'rs'),
  noAlg: makeKey('RS256', 'rs-noalg', { alg: undefined }),
  enc: makeKey('RS256', 'rs-enc', { use: 'enc', alg: undefined }),
  es: makeKey('ES256', 'es'),
  ed: makeKey('EdDSA', 'ed'),
}
const octSecret = randomBytes(32)
const oct = { ...keys.rs, kid: 'hs', jwk: { kty: 'oct', kid: 'hs', alg: 'HS256', k: octSecret.toString('base64url') } }
const attacker = makeKey('RS256', 'attacker')
const otherEc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey
const now = () => Math.floor(Date.now() / 1000)

const invalid = { code: 'TOKEN_INVALID', challenge: 'Bearer error="invalid_token"' }
const expired = { code: 'TOKEN_EXPIRED', challenge: 'Bearer error="invalid_token"' }

type Case = [string, (idp: StandIn) => string, typeof invalid]

function sign(idp: StandIn, header: Record<string, unknown>, claims: Record<string, unknown>, key: StandInKey) {
  return signJwt({ typ: 'JWT', ...header }, idp.claims(claims), key.privateKey)
}
const rsPem = keys.rs.publicKey.export({ type: 'spki', format: 'pem' }).toString()
const tamper = (token: string, part: 1 | 2) => {
  const parts = token.split('.')
  if (part === 1) parts[1] = Buffer.from(JSON.stringify({ sub: 'admin', roles: ['admin'] })).toString('base64url')
  else parts[2] = `${parts[2]!.slice(0, -4)}AAAA`
  return parts.join('.')
}

const hostile: Case[] = [
  ['alg none under a real kid', (idp) => signJwt({ alg: 'none', kid: 'rs' }, idp.claims(), undefined), invalid],
  ['alg none without kid or signature', (idp) => signJwt({ alg: 'none' }, idp.claims(), undefined), invalid],
  ['alg NONE in capitals', (idp) => signJwt({ alg: 'NONE', kid: 'rs' }, idp.claims(), undefined), invalid],
  ['no alg at all', (idp) => signJwt({ kid: 'rs' }, idp.claims(), keys.rs.privateKey, 'RS256'), invalid],
  [
    'HS256 signed with the RSA public key (PEM)',
    (idp) => signJwt({ alg: 'HS256', kid: 'rs' }, idp.claims(), rsPem),
    invalid,
  ],
  [
    'HS256 under an RSA key that has no alg (CVE-2026-22818)',
    (idp) => signJwt({ alg: 'HS256', kid: 'rs-noalg' }, idp.claims(), String(keys.noAlg.jwk.n)),
    invalid,
  ],
  [
    'HS256 with the symmetric key the JWK Set carries',
    (idp) => signJwt({ alg: 'HS256', kid: 'hs' }, idp.claims(), octSecret as unknown as string),
    invalid,
  ],
  ['PS256 under a key whose JWK says RS256', (idp) => sign(idp, { alg: 'PS256', kid: 'rs' }, {}, keys.rs), invalid],
  [
    'ES256 under an RSA key without alg (kty disagrees)',
    (idp) => signJwt({ alg: 'ES256', kid: 'rs-noalg' }, idp.claims(), otherEc),
    invalid,
  ],
  ['RS256 under the EC key', (idp) => sign(idp, { alg: 'RS256', kid: 'es' }, {}, keys.rs), invalid],
  [
    'RS512, not on the allowlist, by a key without alg',
    (idp) => sign(idp, { alg: 'RS512', kid: 'rs-noalg' }, {}, keys.noAlg),
    invalid,
  ],
  [
    'RS256 by a key published for encryption (use: enc)',
    (idp) => sign(idp, { alg: 'RS256', kid: 'rs-enc' }, {}, keys.enc),
    invalid,
  ],
  ['no kid while two keys could match', (idp) => sign(idp, { alg: 'RS256' }, {}, keys.rs), invalid],
  ['an unknown kid', (idp) => sign(idp, { alg: 'RS256', kid: 'nope' }, {}, keys.rs), invalid],
  ['a forged signature under a real kid', (idp) => sign(idp, { alg: 'RS256', kid: 'rs' }, {}, attacker), invalid],
  ['a tampered payload', (idp) => tamper(idp.token(), 1), invalid],
  ['a tampered signature', (idp) => tamper(idp.token(), 2), invalid],
  ['a wrong iss', (idp) => idp.token({ iss: 'https://evil.test' }), invalid],
  ['no iss', (idp) => idp.token({ iss: undefined }), invalid],
  ['the issuer with a trailing slash', (idp) => idp.token({ iss: `${idp.issuer}/` }), invalid],
  ['a wrong aud', (idp) => idp.token({ aud: 'other-api' }), invalid],
  ['no aud', (idp) => idp.token({ aud: undefined }), invalid],
  ['an aud list without ours', (idp) => idp.token({ aud: ['a', 'b'] }), invalid],
  ['an expired token', () => '', expired],
  ['no exp', (idp) => idp.token({ exp: undefined }), invalid],
  ['nbf in the future', (idp) => idp.token({ nbf: now() + 600 }), invalid],
  ['iat in the future', (idp) => idp.token({ iat: now() + 600 }), invalid],
  ['no iat', (idp) => idp.token({ iat: undefined }), invalid],
  ['a string exp', (idp) => idp.token({ exp: 'tomorrow' }), invalid],
  [
    'a jku header pointing at the attacker’s JWK Set',
    (idp) => sign(idp, { alg: 'RS256', kid: 'attacker', jku: 'https://evil.test/jwks' }, {}, attacker),
    invalid,
  ],
  ['a jku header on an otherwise valid token', (idp) => idp.token({}, keys.rs, { jku: `${idp.issuer}/jwks` }), invalid],
  ['an x5u header', (idp) => idp.token({}, keys.rs, { x5u: 'https://evil.test/cert.pem' }), invalid],
  [
    'an embedded jwk of the attacker',
    (idp) => sign(idp, { alg: 'RS256', kid: 'attacker', jwk: attacker.jwk }, {}, attacker),
    invalid,
  ],
  ['an x5c header', (idp) => idp.token({}, keys.rs, { x5c: ['MIIB'] }), invalid],
  ['an unknown crit extension', (idp) => idp.token({}, keys.rs, { crit: ['exp-ext'], 'exp-ext': 1 }), invalid],
  ['crit b64 false (unencoded payload)', (idp) => idp.token({}, keys.rs, { crit: ['b64'], b64: false }), invalid],
  ['a validly signed token over 8 KB', (idp) => idp.token({ pad: 'x'.repeat(8200) }), invalid],
  ['no sub', (idp) => idp.token({ sub: undefined }), invalid],
  ['a numeric sub', (idp) => idp.token({ sub: 42 }), invalid],
  ['roles that are not a list of strings', (idp) => idp.token({ roles: { admin: true } }), invalid],
  ['permissions with a number in them', (idp) => idp.token({ permissions: ['read', 1] }), invalid],
  [
    'a header that is not JSON',
    (idp) => `${Buffer.from('not json').toString('base64url')}.${idp.token().split('.').slice(1).join('.')}`,
    invalid,
  ],
  ['a payload that is a list', () => signJwt({ alg: 'RS256', kid: 'rs' }, [], keys.rs.privateKey), invalid],
]

describe('auth', () => {
  describe('resource server: hostile tokens', () => {
    let idp: StandIn
    let app: FastifyInstance

    beforeAll(async () => {
      idp = await startStandIn([keys.rs, keys.noAlg, keys.enc, keys.es, keys.ed, oct as StandInKey])
      app = Fastify()
      await app.register(keelErrors)
      await app.register(keelResourceServer, {
        issuers: [
          {
            issuer: idp.issuer,
            jwksUri: idp.jwksUri,
            audience: idp.audience,
            algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
          },
        ],
      })
      app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
    })
    afterAll(async () => {
      await app.close()
      await idp.close()
    })

    it('should have at least 25 hostile cases', () => {
      expect(hostile.length).toBeGreaterThanOrEqual(25)
    })

    it('should accept the control tokens the cases are made from', async () => {
      for (const key of [keys.rs, keys.noAlg, keys.es, keys.ed]) {
        const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${idp.token({}, key)}` } })
        expect({ kid: key.kid, status: res.statusCode }).toEqual({ kid: key.kid, status: 200 })
      }
      // The key without alg accepts PS256 too (its kty allows it, and PS256 is on the allowlist).
      const ps = signJwt({ alg: 'PS256', kid: 'rs-noalg' }, idp.claims(), keys.noAlg.privateKey)
      expect((await app.inject({ url: '/me', headers: { authorization: `Bearer ${ps}` } })).statusCode).toBe(200)
    })

    it.each(hostile)('should answer a 401 problem document to %s', async (name, make, expected) => {
      const token = name === 'an expired token' ? idp.token({ iat: now() - 900, exp: now() - 60 }) : make(idp)
      const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['www-authenticate']).toBe(expected.challenge)
      expect(res.json()).toMatchObject({ status: 401, code: expected.code, title: 'Unauthorized' })
    })

    it('should never fetch anything a token names', async () => {
      // Every request above went to the stand-in's own JWK Set, and at most once per cooldown.
      expect(idp.fetches.jwks).toBeLessThanOrEqual(2)
      expect(idp.fetches.discovery).toBe(0)
    })
  })
})
