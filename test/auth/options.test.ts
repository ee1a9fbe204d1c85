import { generateKeyPairSync } from 'node:crypto'
import Fastify from 'fastify'
import { type KeelAuthOptions, keelAuth, MemoryTokenStore, RedisTokenStore, SqlTokenStore } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { audience, ecKeys, hsSecret, issuer, rsaKeys } from './fixtures.js'

const rsa = rsaKeys()
const ec = ecKeys()
const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
const base = { secret: hsSecret, issuer, audience }

const bad: Array<[string, Record<string, unknown> | string, string]> = [
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
  ['an unparsable accessTokenTtl', { accessTokenTtl: '15 fortnights' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a number of seconds as accessTokenTtl (now milliseconds)', { accessTokenTtl: 900 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a number of seconds as refreshTokenTtl', { refreshTokenTtl: 60 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a TTL over a year', { refreshTokenTtl: '400d' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a negative refreshTokenTtl', { refreshTokenTtl: -1 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a sub-second refreshTokenTtl', { refreshTokenTtl: '500ms' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a negative clockTolerance', { clockTolerance: -1 }, 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE'],
  ['a huge clockTolerance', { clockTolerance: '1h' }, 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE'],
  ['a clockTolerance in seconds (now milliseconds)', { clockTolerance: 5 }, 'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE'],
  ['an unknown option (a typo)', { accesTokenTtl: '15m' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a sub-second sessionMaxAge', { sessionMaxAge: '500ms' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a sessionMaxAge over a year', { sessionMaxAge: '400d' }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a number of seconds as sessionMaxAge', { sessionMaxAge: 86 }, 'KEEL_ERR_AUTH_INVALID_TTL'],
  ['a grace window over a minute', { refreshGraceWindow: '2m' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a negative grace window', { refreshGraceWindow: -1 }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['an unparsable grace window', { refreshGraceWindow: 'a bit' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['an unknown accessTokens mode', { accessTokens: 'bound' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a refreshToken that is not an object', { refreshToken: 'cookie' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a zero storeTimeout', { storeTimeout: 0 }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a storeTimeout over a minute', { storeTimeout: '2m' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['an empty realm', { realm: '' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a fractional verifyCache', { verifyCache: 1.5 }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['options that are not an object', 'secret' as never, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  [
    'an unknown field in a key',
    { secret: { keys: [{ kid: 'a', algorithm: 'HS256', secret: hsSecret, privatekey: 'x' }], current: 'a' } },
    'KEEL_ERR_AUTH_INVALID_OPTION',
  ],
  [
    'an unknown field in the key set',
    { secret: { keys: [], current: 'a', curent: 'a' } },
    'KEEL_ERR_AUTH_INVALID_OPTION',
  ],
  ['a store without methods', { store: {} }, 'KEEL_ERR_AUTH_INVALID_STORE'],
  [
    'a store from before sessions (no revokeSession, listSessions, checkSession)',
    {
      store: {
        save: async () => {},
        rotate: async () => ({ status: 'unknown' }),
        revokeFamily: async () => false,
        revokeSubject: async () => {},
        getNotBefore: () => undefined,
      },
    },
    'KEEL_ERR_AUTH_INVALID_STORE',
  ],
  ['a non-boolean jwks', { jwks: 'yes' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['jwks with only HS256 keys', { jwks: true }, 'KEEL_ERR_AUTH_JWKS_WITHOUT_PUBLIC_KEYS'],
  ['a realm with a quote', { realm: 'a"b' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a negative verifyCache', { verifyCache: -1 }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
]

describe('auth', () => {
  describe('options', () => {
    it.each(bad)('should fail boot on %s', async (_name, overrides, code) => {
      const app = Fastify()
      const options = typeof overrides === 'string' ? overrides : { ...base, ...overrides }
      app.register(keelAuth, options as unknown as KeelAuthOptions)
      const error = await app.ready().then(
        () => undefined,
        (caught: Error) => caught,
      )
      expect(error).toMatchObject({ name: 'KeelConfigError', code })
      // One message shape across keel: `fastify-keel/auth: option "<path>" <problem>, got <value>; <fix>`.
      expect(error?.message).toMatch(/^fastify-keel\/auth: (option "[^"]+"|options) .+, got .+; .+/)
      await app.close()
    })

    it('should name the misspelt option and the one meant', async () => {
      const app = Fastify()
      app.register(keelAuth, { ...base, accesTokenTtl: 900 } as unknown as KeelAuthOptions)
      await expect(app.ready()).rejects.toThrow(
        'fastify-keel/auth: option "accesTokenTtl" is unknown, got 900; did you mean "accessTokenTtl"?',
      )
      await app.close()
    })

    it('should say that numbers are milliseconds now and what to write instead', async () => {
      const app = Fastify()
      app.register(keelAuth, { ...base, accessTokenTtl: 900 })
      await expect(app.ready()).rejects.toThrow(
        `fastify-keel/auth: option "accessTokenTtl" is a number below 1000: numbers are milliseconds now, they were seconds before, got 900; write '900s' for 900 seconds (or 900000 ms)`,
      )
      await app.close()
    })

    it('should read a number as milliseconds', async () => {
      const app = Fastify()
      await app.register(keelAuth, { ...base, accessTokenTtl: 90_000, refreshTokenTtl: 3_600_000 })
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [] })
        expect({ expiresIn: pair.expiresIn, refresh: pair.refreshTokenExpiresIn }).toEqual({
          expiresIn: 90,
          refresh: 3600,
        })
      } finally {
        await app.close()
      }
    })

    it.each([
      ['a MemoryTokenStore option typo', () => new MemoryTokenStore({ maxToken: 10 } as never)],
      [
        'a RedisTokenStore option typo',
        () => new RedisTokenStore({ eval: async () => 1, evalsha: async () => 1 }, { prefx: 'a' } as never),
      ],
      [
        'a SqlTokenStore option typo',
        () => new SqlTokenStore({ query: async () => ({ rows: [] }) }, { schema: 'a', tablePrefx: 'b' } as never),
      ],
      [
        'a SqlTokenStore schema that is not an identifier',
        () => new SqlTokenStore({ query: async () => ({ rows: [] }) }, { schema: 'a"; drop table x; --' }),
      ],
    ])('should refuse %s', (_name, make) => {
      expect(make).toThrow(expect.objectContaining({ code: 'KEEL_ERR_AUTH_INVALID_STORE' }))
    })

    it.each([
      ['a short secret', 'tooshort-secret-value', 'tooshort-secret-value'],
      [
        'a private key given as publicKey',
        { keys: [{ kid: 'a', algorithm: 'RS256', publicKey: rsa.privateKey }], current: 'a' },
        rsa.privateKey.split('\n')[1]!,
      ],
      [
        'a secret on an RS256 key',
        { keys: [{ kid: 'a', algorithm: 'RS256', secret: 'a-secret-that-must-not-be-printed' }], current: 'a' },
        'a-secret-that-must-not-be-printed',
      ],
    ])('should not print the secret in a config error (%s)', async (_name, secret, needle) => {
      const app = Fastify()
      app.register(keelAuth, { ...base, secret } as KeelAuthOptions)
      const error = await app.ready().then(
        () => undefined,
        (caught: Error) => caught,
      )
      expect(error?.name).toBe('KeelConfigError')
      expect(error?.message).not.toContain(needle)
      await app.close()
    })

    it.each([
      ['a 32-byte string secret', {}],
      ['the package smoke-test options', { secret: 'consumer-smoke-test-secret-0123456789abcdef' }],
      [
        'durations in milliseconds and strings',
        { accessTokenTtl: 300_000, refreshTokenTtl: '7 days', clockTolerance: 0 },
      ],
      ['a clock tolerance string and a store timeout', { clockTolerance: '30 seconds', storeTimeout: 250 }],
      ["Fastify's register options", { prefix: '/api', logLevel: 'warn', logSerializers: {} }],
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
