import Fastify from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { type KeelIssuerOptions, keelResourceServer } from 'fastify-keel/resource-server'
import { describe, expect, it } from 'vitest'
import { hsSecret } from './fixtures.js'

const idp: KeelIssuerOptions = {
  issuer: 'https://idp.example.com/',
  jwksUri: 'https://idp.example.com/jwks',
  audience: 'api',
  algorithms: ['RS256'],
}
const rejects = async (plugin: 'auth' | 'rs', options: Record<string, unknown>) => {
  const app = Fastify()
  try {
    if (plugin === 'auth') {
      await app.register(keelAuth, {
        secret: hsSecret,
        issuer: 'https://api.test',
        audience: 'test-api',
        ...options,
      } as never)
    } else await app.register(keelResourceServer, options as never)
    await app.ready()
    return undefined
  } catch (error) {
    return error as { code: string; message: string }
  } finally {
    await app.close()
  }
}

const bad: Array<[string, Record<string, unknown>, string]> = [
  ['no issuers', {}, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['an empty list', { issuers: [] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['an issuer that is not an object', { issuers: ['https://idp.example.com/'] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['no issuer', { issuers: [{ ...idp, issuer: undefined }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['no audience', { issuers: [{ ...idp, audience: undefined }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['an empty audience list', { issuers: [{ ...idp, audience: [] }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['no algorithms', { issuers: [{ ...idp, algorithms: undefined }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  [
    'HS256 among the algorithms',
    { issuers: [{ ...idp, algorithms: ['RS256', 'HS256'] }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  ['alg none', { issuers: [{ ...idp, algorithms: ['none'] }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['neither jwksUri nor discovery', { issuers: [{ ...idp, jwksUri: undefined }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['both jwksUri and discovery', { issuers: [{ ...idp, discovery: true }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  [
    'an http:// jwksUri off loopback',
    { issuers: [{ ...idp, jwksUri: 'http://idp.example.com/jwks' }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  [
    'discovery for an http:// issuer off loopback',
    { issuers: [{ ...idp, issuer: 'http://idp.example.com', jwksUri: undefined, discovery: true }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  [
    'a jwksUri with credentials',
    { issuers: [{ ...idp, jwksUri: 'https://u:p@idp.example.com/jwks' }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  ['a jwksUri that is not a URL', { issuers: [{ ...idp, jwksUri: 'jwks.json' }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['the same issuer twice', { issuers: [idp, idp] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['an unknown issuer field', { issuers: [{ ...idp, audiences: ['api'] }] }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  ['a bad typ', { issuers: [{ ...idp, typ: 'at jwt' }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  [
    'a claim path with an empty segment',
    { issuers: [{ ...idp, claims: { roles: 'realm_access..roles' } }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  ['a numeric claim path', { issuers: [{ ...idp, claims: { subject: 7 } }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['an unknown claims field', { issuers: [{ ...idp, claims: { groups: 'groups' } }] }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  [
    'maxCacheTtl below minCacheTtl',
    { issuers: [{ ...idp, minCacheTtl: '1h', maxCacheTtl: '5m' }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  ['a refreshCooldown below a second', { issuers: [{ ...idp, refreshCooldown: 10 }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  [
    'a fetchTimeout that is not a duration',
    { issuers: [{ ...idp, fetchTimeout: 'soon' }] },
    'KEEL_ERR_AUTH_INVALID_ISSUERS',
  ],
  ['a bad audienceClaim', { issuers: [{ ...idp, audienceClaim: 'client id' }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  ['a tiny maxJwksBytes', { issuers: [{ ...idp, maxJwksBytes: 10 }] }, 'KEEL_ERR_AUTH_INVALID_ISSUERS'],
  [
    'a clockTolerance over 5 minutes',
    { issuers: [idp], clockTolerance: '10m' },
    'KEEL_ERR_AUTH_INVALID_CLOCK_TOLERANCE',
  ],
  ['an unknown option', { issuers: [idp], secret: hsSecret }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
  [
    'issuersHealthCheck without keelHealth',
    { issuers: [idp], issuersHealthCheck: true },
    'KEEL_ERR_AUTH_HEALTH_MISSING',
  ],
  ['a bad issuersHealthCheck', { issuers: [idp], issuersHealthCheck: 'yes' }, 'KEEL_ERR_AUTH_INVALID_OPTION'],
]

describe('auth', () => {
  describe('resource server: options', () => {
    it.each(bad)('should refuse %s at boot (keelResourceServer)', async (_name, options, code) => {
      const error = await rejects('rs', options)
      expect(error?.code).toBe(code)
      expect(error?.message).toMatch(/^fastify-keel\/resource-server: /)
    })

    it.each(bad.filter(([name]) => !['no issuers', 'an unknown option'].includes(name)))(
      'should refuse %s at boot (keelAuth issuers)',
      async (_name, options, code) => {
        const error = await rejects('auth', options)
        expect(error?.code).toBe(code)
        expect(error?.message).toMatch(/^fastify-keel\/auth: /)
      },
    )

    it('should name the path and the fix in the message', async () => {
      const error = await rejects('rs', {
        issuers: [idp, { ...idp, issuer: 'https://b.test', jwksUri: 'http://b.test/jwks' }],
      })
      expect(error?.message).toBe(
        'fastify-keel/resource-server: option "issuers[1].jwksUri" must be an https:// URL without credentials (plain http:// only to 127.0.0.1, localhost or [::1]), got "http://b.test/jwks"; use the https:// URL of the identity provider',
      )
    })

    it("should accept Fastify's register options and refuse a typo with the name it meant", async () => {
      expect(
        await rejects('rs', { issuers: [idp], logLevel: 'warn', prefix: '/api', logSerializers: {} }),
      ).toBeUndefined()
      const error = await rejects('rs', { issuers: [idp], clockTolerence: '5s' })
      expect(error?.code).toBe('KEEL_ERR_AUTH_INVALID_OPTION')
      expect(error?.message).toMatch(
        /^fastify-keel\/resource-server: option "clockTolerence" is unknown, got "5s"; did you mean "clockTolerance"\?/,
      )
      const nested = await rejects('rs', { issuers: [{ ...idp, minCacheTTL: '1m' }] })
      expect(nested?.message).toMatch(
        /option "issuers\[0\]\.minCacheTTL" is unknown, got "1m"; did you mean "issuers\[0\]\.minCacheTtl"\?/,
      )
    })

    it("should refuse an identity provider that has keel's own issuer", async () => {
      expect((await rejects('auth', { issuers: [{ ...idp, issuer: 'https://api.test' }] }))?.code).toBe(
        'KEEL_ERR_AUTH_INVALID_ISSUERS',
      )
    })

    it('should refuse issuersHealthCheck without issuers (keelAuth)', async () => {
      expect((await rejects('auth', { issuersHealthCheck: true }))?.code).toBe('KEEL_ERR_AUTH_INVALID_OPTION')
    })

    it('should point keelAuth without a secret at keelResourceServer', async () => {
      const app = Fastify()
      const error = await app
        .register(keelAuth, { issuer: 'https://api.test', audience: 'test-api', issuers: [idp] } as never)
        .ready()
        .then(
          () => undefined,
          (caught: { code: string; message: string }) => caught,
        )
      await app.close()
      expect(error?.code).toBe('KEEL_ERR_AUTH_INVALID_SECRET')
    })

    it.each([
      ['http://127.0.0.1:8080/jwks'],
      ['http://localhost/jwks'],
      ['http://[::1]:9000/jwks'],
      ['https://idp.example.com/jwks'],
    ])('should accept %s as jwksUri', async (jwksUri) => {
      expect(await rejects('rs', { issuers: [{ ...idp, jwksUri }] })).toBeUndefined()
    })

    it('should refuse keelAuth and keelResourceServer in one app', async () => {
      const app = Fastify()
      await app.register(keelAuth, { secret: hsSecret, issuer: 'https://api.test', audience: 'test-api' })
      await expect(app.register(keelResourceServer, { issuers: [idp] }).ready()).rejects.toMatchObject({
        code: 'KEEL_ERR_AUTH_DECORATOR_EXISTS',
      })
      await app.close()
    })
  })
})
