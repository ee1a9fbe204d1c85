import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import { type KeelAuthOptions, keelAuth } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { audience, ecKeys, hsSecret, issuer, rsaKeys } from './fixtures.js'

const rsa = rsaKeys()
const ec = ecKeys()
const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
const base = { secret: hsSecret, issuer, audience }

const bad: Array<[string, Record<string, unknown>, string]> = [
  ['no secret', { secret: undefined }, 'KEEL_ERR_AUTH_INVALID_SECRET'],
  ['a numeric secret', { secret: 42 }, 'KEEL_ERR_AUTH_INVALID_SECRET'],
  ['a 31-byte secret', { secret: 'x'.repeat(31) }, 'KEEL_ERR_AUTH_SECRET_TOO_SHORT'],
  ['an empty key set', { secret: { keys: [], current: 'a' } }, 'KEEL_ERR_AUTH_INVALID_SECRET'],
  [
    'a current kid that names no key',
    { secret: { keys: [{ kid: 'a', algorithm: 'HS256', secret: hsSecret }], current: 'b' } },
    'KEEL_ERR_AUTH_UNKNOWN_CURRENT_KEY',
  ],
  [
    'a current key that only verifies',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256', publicKey: rsa.publicKey }], current: 'a' } },
    'KEEL_ERR_AUTH_CURRENT_KEY_CANNOT_SIGN',
  ],
  [
    'a duplicate kid',
    {
      secret: {
        keys: [
          { kid: 'a', algorithm: 'HS256', secret: hsSecret },
          { kid: 'a', algorithm: 'HS256', secret: hsSecret },
        ],
        current: 'a',
      },
    },
    'KEEL_ERR_AUTH_DUPLICATE_KID',
  ],
  [
    'an unknown algorithm',
    { secret: { keys: [{ kid: 'a', algorithm: 'none' }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'an empty kid',
    { secret: { keys: [{ kid: '', algorithm: 'HS256', secret: hsSecret }], current: '' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'a short HS256 key secret',
    { secret: { keys: [{ kid: 'a', algorithm: 'HS256', secret: 'short' }], current: 'a' } },
    'KEEL_ERR_AUTH_SECRET_TOO_SHORT',
  ],
  [
    'an HS256 key with a PEM',
    { secret: { keys: [{ kid: 'a', algorithm: 'HS256', secret: hsSecret, publicKey: rsa.publicKey }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'an RS256 key with a secret',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256', secret: hsSecret }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'an RS256 key without material',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256' }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'an EC key for RS256',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256', privateKey: ec.privateKey }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'a 1024-bit RSA key',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256', privateKey: smallRsa }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'a private key given as publicKey',
    { secret: { keys: [{ kid: 'a', algorithm: 'RS256', publicKey: rsa.privateKey }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'a publicKey that does not match privateKey',
    {
      secret: {
        keys: [{ kid: 'a', algorithm: 'ES256', privateKey: ec.privateKey, publicKey: ecKeys().publicKey }],
        current: 'a',
      },
    },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  [
    'a PEM that does not parse',
    {
      secret: {
        keys: [
          { kid: 'a', algorithm: 'ES256', publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' },
        ],
        current: 'a',
      },
    },
    'KEEL_ERR_AUTH_INVALID_KEY',
  ],
  ['no issuer', { issuer: undefined }, 'KEEL_ERR_AUTH_INVALID_ISSUER'],
  ['a blank issuer', { issuer: '  ' }, 'KEEL_ERR_AUTH_INVALID_ISSUER'],
  ['no audience', { audience: undefined }, 'KEEL_ERR_AUTH_INVALID_AUDIENCE'],
  ['a zero accessTokenTtl', { accessTokenTtl: 0 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['an unparsable accessTokenTtl', { accessTokenTtl: '15 minutes' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a negative refreshTokenTtl', { refreshTokenTtl: -1 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a sub-second refreshTokenTtl', { refreshTokenTtl: '500ms' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a negative clockTolerance', { clockTolerance: -1 }, 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE'],
  ['a huge clockTolerance', { clockTolerance: 3600 }, 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE'],
  ['a store without methods', { store: {} }, 'KEEL_ERR_AUTH_INVALID_STORE'],
  ['a non-boolean jwks', { jwks: 'yes' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['jwks with only HS256 keys', { jwks: true }, 'KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS'],
  ['a realm with a quote', { realm: 'a"b' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a negative verifyCache', { verifyCache: -1 }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
]

describe('auth', () => {
  describe('options', () => {
    it.each(bad)('should fail boot on %s', async (_name, overrides, code) => {
      const app = Fastify()
      app.register(keelAuth, { ...base, ...overrides } as unknown as KeelAuthOptions)
      await expect(app.ready()).rejects.toMatchObject({ name: 'KeelConfigError', code })
      await app.close()
    })

    it('should not print the secret in a config error', async () => {
      const app = Fastify()
      const secret = 'tooshort-secret-value'
      app.register(keelAuth, { ...base, secret })
      const error = await app.ready().then(
        () => undefined,
        (caught: Error) => caught,
      )
      expect(error?.message).not.toContain(secret)
      await app.close()
    })

    it.each([
      ['a 32-byte string secret', {}],
      ['the package smoke-test options', { secret: 'consumer-smoke-test-secret-0123456789abcdef' }],
      ['durations in seconds and strings', { accessTokenTtl: 300, refreshTokenTtl: '7d', clockTolerance: 0 }],
      [
        'a verify-only RS256 key next to the current key',
        {
          secret: {
            keys: [
              { kid: 'old', algorithm: 'RS256', publicKey: rsa.publicKey },
              { kid: 'new', algorithm: 'RS256', privateKey: rsa.privateKey, publicKey: rsa.publicKey },
            ],
            current: 'new',
          },
        },
      ],
      ['the verify cache off', { verifyCache: 0 }],
    ])('should accept %s', async (_name, overrides) => {
      const app = Fastify()
      await app.register(keelAuth, { ...base, ...overrides } as KeelAuthOptions)
      await expect(app.ready()).resolves.toBeDefined()
      await app.close()
    })
  })
})
