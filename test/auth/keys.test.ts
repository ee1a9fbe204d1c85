import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelAuthKey, type KeelJwtAlgorithm, keelAuth, MemoryTokenStore, type TokenStore } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { audience, bearer, ecKeys, edKeys, hsSecret, issuer, type PemPair, rsaKeys } from './fixtures.js'

const rsa = rsaKeys()
const ec = ecKeys()
const ed = edKeys()
const pairs: Record<Exclude<KeelJwtAlgorithm, 'HS256'>, PemPair> = { RS256: rsa, ES256: ec, EdDSA: ed }

async function appWith(
  keys: KeelAuthKey[],
  current: string,
  jwks = false,
  store: TokenStore = new MemoryTokenStore(),
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keelAuth, { secret: { keys, current }, issuer, audience, jwks, store })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
  return app
}

const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())

describe('auth', () => {
  describe('keys', () => {
    it.each(Object.entries(pairs))(
      'should sign and verify %s tokens with the key id in the header',
      async (alg, pair) => {
        const app = await appWith(
          [{ kid: `k-${alg}`, algorithm: alg as KeelJwtAlgorithm, privateKey: pair.privateKey }],
          `k-${alg}`,
        )
        try {
          const { accessToken } = await app.tokens.issue({ sub: 'u', roles: [] })
          expect(header(accessToken)).toEqual({ alg, typ: 'at+jwt', kid: `k-${alg}` })
          expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
        } finally {
          await app.close()
        }
      },
    )

    describe('rotation', () => {
      const oldKey: KeelAuthKey = { kid: '2024', algorithm: 'RS256', privateKey: rsa.privateKey }
      const newKey: KeelAuthKey = { kid: '2025', algorithm: 'ES256', privateKey: ec.privateKey }

      // One deployment before and during the rotation: the same sessions (store), other keys.
      it('should keep verifying tokens of the old key and sign new ones with current', async () => {
        const store = new MemoryTokenStore()
        const before = await appWith([oldKey], '2024', false, store)
        const during = await appWith(
          [newKey, { kid: '2024', algorithm: 'RS256', publicKey: rsa.publicKey }],
          '2025',
          false,
          store,
        )
        try {
          const old = await before.tokens.issue({ sub: 'u', roles: [] })
          expect((await during.inject({ url: '/me', headers: bearer(old.accessToken) })).statusCode).toBe(200)
          const fresh = await during.tokens.issue({ sub: 'u', roles: [] })
          expect(header(fresh.accessToken).kid).toBe('2025')
          expect((await during.inject({ url: '/me', headers: bearer(fresh.accessToken) })).statusCode).toBe(200)
        } finally {
          await before.close()
          await during.close()
        }
      })

      it('should reject tokens of a removed key', async () => {
        const before = await appWith([oldKey], '2024')
        const after = await appWith([newKey], '2025')
        try {
          const old = await before.tokens.issue({ sub: 'u', roles: [] })
          const res = await after.inject({ url: '/me', headers: bearer(old.accessToken) })
          expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_INVALID' })
        } finally {
          await before.close()
          await after.close()
        }
      })

      it('should move from a string secret to a key set with kid "default"', async () => {
        const store = new MemoryTokenStore()
        const before = Fastify()
        await before.register(keelAuth, { secret: hsSecret, issuer, audience, store })
        const after = await appWith(
          [{ kid: 'default', algorithm: 'HS256', secret: hsSecret }, newKey],
          '2025',
          false,
          store,
        )
        try {
          const old = await before.tokens.issue({ sub: 'u', roles: [] })
          expect((await after.inject({ url: '/me', headers: bearer(old.accessToken) })).statusCode).toBe(200)
        } finally {
          await before.close()
          await after.close()
        }
      })
    })

    describe('JWKS', () => {
      const keys: KeelAuthKey[] = [
        { kid: 'rs', algorithm: 'RS256', privateKey: rsa.privateKey },
        { kid: 'es', algorithm: 'ES256', publicKey: ec.publicKey },
        { kid: 'ed', algorithm: 'EdDSA', privateKey: ed.privateKey },
        { kid: 'hs', algorithm: 'HS256', secret: hsSecret },
      ]

      it('should publish the public keys with kid, alg and use, and no private material', async () => {
        const app = await appWith(keys, 'rs', true)
        try {
          const res = await app.inject('/.well-known/jwks.json')
          expect(res.statusCode).toBe(200)
          expect(res.headers['content-type']).toMatch(/^application\/json/)
          const { keys: published } = res.json() as {
            keys: Array<JsonWebKey & { kid: string; alg: string; use: string }>
          }
          expect(published.map(({ kid, alg, use }) => ({ kid, alg, use }))).toEqual([
            { kid: 'rs', alg: 'RS256', use: 'sig' },
            { kid: 'es', alg: 'ES256', use: 'sig' },
            { kid: 'ed', alg: 'EdDSA', use: 'sig' },
          ])
          for (const jwk of published)
            for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(member)
          expect(res.body).not.toContain(hsSecret)
        } finally {
          await app.close()
        }
      })

      it('should publish a key that verifies the tokens the app signs', async () => {
        const app = await appWith(keys, 'rs', true)
        try {
          const { accessToken } = await app.tokens.issue({ sub: 'u', roles: [] })
          const { keys: published } = (await app.inject('/.well-known/jwks.json')).json() as { keys: JsonWebKey[] }
          const jwk = published.find((key) => key.kid === 'rs')!
          const [h, p, s] = accessToken.split('.')
          const ok = cryptoVerify(
            'sha256',
            Buffer.from(`${h}.${p}`),
            createPublicKey({ key: jwk, format: 'jwk' }),
            Buffer.from(s!, 'base64url'),
          )
          expect(ok).toBe(true)
        } finally {
          await app.close()
        }
      })

      it('should not serve /.well-known/jwks.json by default', async () => {
        const app = await appWith(keys, 'rs')
        try {
          expect((await app.inject('/.well-known/jwks.json')).statusCode).toBe(404)
        } finally {
          await app.close()
        }
      })
    })
  })
})
