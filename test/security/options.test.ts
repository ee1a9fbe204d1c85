// Options and route config are checked once, at register time or when the route is declared, with the one
// options dialect of every fastify-keel plugin.
import fastifyCors from '@fastify/cors'
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelSecurityOptions, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'

const apps: FastifyInstance[] = []

function app(): FastifyInstance {
  const instance = Fastify()
  apps.push(instance)
  return instance
}

async function refusal(options: unknown): Promise<{ name: string; code: string; message: string }> {
  try {
    await app().register(keelSecurity, options as KeelSecurityOptions)
  } catch (error) {
    return error as { name: string; code: string; message: string }
  }
  throw new Error('expected the registration to fail')
}

function routeRefusal(security: unknown, register: KeelSecurityOptions = {}) {
  return async () => {
    const instance = app()
    await instance.register(keelSecurity, register)
    try {
      instance.post('/login', { config: { security: security as never } }, async () => 'ok')
    } catch (error) {
      return error as { name: string; code: string; message: string }
    }
    throw new Error('expected the route to be refused')
  }
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((instance) => instance.close()))
})

describe('security', () => {
  describe('options', () => {
    it("should accept Fastify's register options (prefix, logLevel, logSerializers)", async () => {
      const instance = app()
      await instance.register(keelSecurity, { logLevel: 'warn', prefix: '/api', logSerializers: {} } as never)
      instance.get('/items', async () => ({ items: [] }))
      expect((await instance.inject('/items')).headers['x-frame-options']).toBe('DENY')
    })

    it('should refuse an unknown option with a "did you mean" hint in the one message shape', async () => {
      const error = await refusal({ rateLimt: { max: 5 } })
      expect(error).toMatchObject({ name: 'KeelConfigError', code: 'KEEL_ERR_SECURITY_INVALID_OPTION' })
      expect(error.message).toMatch(/^fastify-keel\/security: option "rateLimt" is unknown, got an object; /)
      expect(error.message).toContain('did you mean "rateLimit"?')
    })

    it('should name the nested option, the value and the fix', async () => {
      const error = await refusal({ rateLimit: { max: 0 } })
      expect(error.message).toMatch(/^fastify-keel\/security: option "rateLimit\.max" must be an integer .*, got 0; /)
      expect((await refusal({ rateLimit: { timewindow: 5 } })).message).toContain(
        'did you mean "rateLimit.timeWindow"?',
      )
    })

    it.each<[string, unknown, string]>([
      ['a non-object', 'cors', 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an unknown rateLimit option', { rateLimit: { maxRequests: 5 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a negative max', { rateLimit: { max: -1 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a zero max (it would refuse every request)', { rateLimit: { max: 0 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a fractional max', { rateLimit: { max: 2.5 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a bad time window', { rateLimit: { timeWindow: 'a while' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a zero time window', { rateLimit: { timeWindow: 0 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a bad store timeout', { rateLimit: { storeTimeout: 'soon' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      [
        'a redis that is not a client',
        { rateLimit: { redis: 'redis://localhost' } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      ['an empty nameSpace', { rateLimit: { nameSpace: '' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a relative exempt prefix', { rateLimit: { exemptPrefixes: ['health/'] } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a non-boolean skipOnError', { rateLimit: { skipOnError: 'yes' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a non-boolean notFound', { rateLimit: { notFound: 'yes' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a non-function keyGenerator', { rateLimit: { keyGenerator: 'ip' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an allowList of numbers', { rateLimit: { allowList: [1] } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an unknown header dialect', { rateLimit: { headers: 'draft-7' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an empty header dialect list', { rateLimit: { headers: [] } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an unknown algorithm', { rateLimit: { algorithm: 'gcra' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a negative cost', { rateLimit: { cost: -1 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a cost above max', { rateLimit: { max: 5, cost: 6 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a bad blockDuration', { rateLimit: { blockDuration: 'long' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['policies that is not a list', { rateLimit: { policies: { name: 'a' } } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['an empty policies list', { rateLimit: { policies: [] } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a policy without a name', { rateLimit: { policies: [{ max: 5 }] } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      [
        'a policy name with a quote',
        { rateLimit: { policies: [{ name: 'a"b' }] } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      [
        'two policies of one name',
        { rateLimit: { policies: [{ name: 'a' }, { name: 'a', max: 5 }] } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      [
        'max next to policies',
        { rateLimit: { max: 5, policies: [{ name: 'a' }] } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      [
        'an unknown policy key',
        { rateLimit: { policies: [{ name: 'a', window: '1 s' }] } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      [
        'a bad policy hook',
        { rateLimit: { policies: [{ name: 'a', hook: 'onSend' }] } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      ['an unknown cors option', { cors: { origin: 'https://a.example' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a string origins', { cors: { origins: 'https://a.example' } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a sub-second cors.maxAge', { cors: { maxAge: 600 } }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      ['a helmet that is not an object', { helmet: 'on' }, 'KEEL_ERR_SECURITY_INVALID_OPTION'],
      [
        'an invalid helmet option',
        { helmet: { referrerPolicy: { policy: 'nonsense' } } },
        'KEEL_ERR_SECURITY_INVALID_OPTION',
      ],
      [
        'a function CSP directive',
        { helmet: { contentSecurityPolicy: { directives: { scriptSrc: [() => "'nonce-x'"] } } } },
        'KEEL_ERR_SECURITY_DYNAMIC_CSP',
      ],
      ['enableCSPNonces', { helmet: { enableCSPNonces: true } }, 'KEEL_ERR_SECURITY_DYNAMIC_CSP'],
    ])('should refuse %s at register time', async (_name, options, code) => {
      const error = await refusal(options)
      expect(error).toMatchObject({ name: 'KeelConfigError', code })
      expect(error.message).toMatch(/^fastify-keel\/security: /)
    })

    it.each<[string, KeelSecurityOptions, string]>([
      ['rateLimit.timeWindow', { rateLimit: { max: 5, timeWindow: '15m' } }, '"default";q=5;w=900'],
      ['rateLimit.timeWindow', { rateLimit: { max: 5, timeWindow: '1 minute' } }, '"default";q=5;w=60'],
      ['rateLimit.timeWindow', { rateLimit: { max: 5, timeWindow: 90_000 } }, '"default";q=5;w=90'],
      ['a policy timeWindow', { rateLimit: { policies: [{ name: 'p', timeWindow: '1.5 s' }] } }, '"p";q=100;w=2'],
    ])('should read %s in the one duration grammar', async (_name, options, value) => {
      const instance = app()
      await instance.register(keelSecurity, options)
      instance.get('/items', async () => ({ items: [] }))
      expect((await instance.inject('/items')).headers['ratelimit-policy']).toBe(value)
    })

    it.each<[unknown, string]>([
      ['10 minutes', '600'],
      ['2h', '7200'],
      [30_000, '30'],
      [0, '0'],
    ])('should read cors.maxAge %j as a duration', async (maxAge, header) => {
      const instance = app()
      await instance.register(keelSecurity, { cors: { origins: ['https://a.example'], maxAge: maxAge as number } })
      instance.post('/items', async () => 'ok')
      const res = await instance.inject({
        method: 'OPTIONS',
        url: '/items',
        headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
      })
      expect(res.headers['access-control-max-age']).toBe(header)
    })

    it('should refuse a second registration with a clear error', async () => {
      const instance = app()
      await instance.register(keelSecurity)
      await expect(instance.register(keelSecurity)).rejects.toMatchObject({
        name: 'KeelConfigError',
        code: 'KEEL_ERR_SECURITY_ALREADY_REGISTERED',
        message: expect.stringMatching(/^fastify-keel\/security: /),
      })
    })

    it('should refuse to run next to a user-registered @fastify/cors', async () => {
      const instance = app()
      await instance.register(fastifyCors)
      await expect(instance.register(keelSecurity, { cors: { origins: ['https://a.example'] } })).rejects.toMatchObject(
        { code: 'KEEL_ERR_SECURITY_ALREADY_REGISTERED' },
      )
    })
  })

  describe('route config', () => {
    it.each<[string, unknown]>([
      ['a non-object', 5],
      ['an unknown key', { helmt: false }],
      ['a helmet that is not an object', { helmet: 'off' }],
      ['a failure limit that is not an object', { failureLimit: 5 }],
      ['a zero max', { failureLimit: { max: 0 } }],
      ['a bad window', { failureLimit: { timeWindow: 'soon' } }],
      ['an unknown failure limit key', { failureLimit: { maxAttempts: 5 } }],
      ['a non-function key generator', { failureLimit: { keyGenerator: 'ip' } }],
      ['a non-function isFailure', { failureLimit: { isFailure: 401 } }],
      ['a failure limit name with a space', { failureLimit: { name: 'bad name' } }],
      ['a rate limit that is neither false nor a policy', { rateLimit: true }],
      ['an empty rate limit list', { rateLimit: [] }],
      ['a rate limit naming no app policy', { rateLimit: ['nightly'] }],
      ['an unknown route policy key', { rateLimit: { maxx: 5 } }],
      ['two route policies of one name', { rateLimit: [{ name: 'a' }, { name: 'a' }] }],
      ['a route policy list entry without a name', { rateLimit: ['default', { max: 5 }] }],
    ])('should refuse %s when the route is declared', async (_name, security) => {
      const error = await routeRefusal(security)()
      expect(error).toMatchObject({ name: 'KeelConfigError', code: 'KEEL_ERR_SECURITY_ROUTE_CONFIG' })
      expect(error.message).toMatch(/^fastify-keel\/security: option "config\.security[^"]*" /)
      expect(error.message).toContain('(route POST /login)')
    })

    it('should suggest the known name for a misspelt route option', async () => {
      const error = await routeRefusal({ failureLimit: { maxx: 5 } })()
      expect(error.message).toContain('did you mean "config.security.failureLimit.max"?')
    })

    it("should refuse a route's @fastify/rate-limit config.rateLimit that is not false", async () => {
      const instance = app()
      await instance.register(keelSecurity)
      expect(() => instance.get('/x', { config: { rateLimit: true as never } }, async () => 'x')).toThrow(
        expect.objectContaining({ code: 'KEEL_ERR_SECURITY_ROUTE_CONFIG' }),
      )
    })

    it('should refuse a route policy when rate limiting is off', async () => {
      const instance = app()
      await instance.register(keelSecurity, { rateLimit: false })
      expect(() => instance.get('/x', { config: { security: { rateLimit: { max: 5 } } } }, async () => 'x')).toThrow(
        expect.objectContaining({ code: 'KEEL_ERR_SECURITY_ROUTE_CONFIG' }),
      )
    })

    it('should refuse bad policies given to app.rateLimitHook()', async () => {
      const instance = app()
      await instance.register(keelSecurity)
      expect(() => instance.rateLimitHook({ max: 0 })).toThrow(
        expect.objectContaining({
          code: 'KEEL_ERR_SECURITY_INVALID_OPTION',
          message: expect.stringContaining('"app.rateLimitHook().max"'),
        }),
      )
    })

    it('should read failureLimit.timeWindow in the one duration grammar', async () => {
      const instance = app()
      await instance.register(keelSecurity, { rateLimit: false })
      instance.post('/login', { config: { security: { failureLimit: { max: 1, timeWindow: '15m' } } } }, (_r, reply) =>
        reply.code(401).send({ ok: false }),
      )
      await instance.inject({ method: 'POST', url: '/login' })
      const refused = await instance.inject({ method: 'POST', url: '/login' })
      expect(refused.statusCode).toBe(429)
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(890)
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900)
    })
  })
})
