import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { keelErrors } from 'fastify-keel/errors'
import { keelHealth } from 'fastify-keel/health'
import { type KeelIssuerOptions, keelResourceServer } from 'fastify-keel/resource-server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { appWithLogs, type LogLine } from '../helpers/logs.js'
import { expectProblem } from '../helpers/problem.js'
import { makeKey, type StandIn, startStandIn } from './idp/stand-in.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const unsigned = (header: object, payload: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2lnbmF0dXJl`
const SECOND = 1000

async function verifier(
  idp: StandIn,
  issuer: Partial<KeelIssuerOptions> = {},
  extra: Record<string, unknown> = {},
): Promise<{ app: FastifyInstance; lines: LogLine[] }> {
  const { app, lines } = appWithLogs()
  await app.register(keelErrors)
  if (extra.issuersHealthCheck !== undefined) await app.register(keelHealth, { underPressure: false, cacheTtl: 0 })
  await app.register(keelResourceServer, {
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: idp.audience, algorithms: ['RS256'], ...issuer }],
    ...extra,
  })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
  return { app, lines }
}

describe('auth', () => {
  describe('resource server: the keys of an identity provider', () => {
    let idp: StandIn
    let app: FastifyInstance | undefined

    beforeEach(async () => {
      idp = await startStandIn([makeKey('RS256', 'k1')])
    })
    afterEach(async () => {
      vi.useRealTimers()
      await app?.close()
      app = undefined
      await idp.close()
    })

    it('should fetch the JWK Set once and verify later tokens with the cached keys', async () => {
      ;({ app } = await verifier(idp))
      for (let i = 0; i < 5; i++) {
        const res = await app.inject({ url: '/me', headers: bearer(idp.token({ jti: randomUUID() })) })
        expect(res.statusCode).toBe(200)
      }
      expect(idp.fetches.jwks).toBe(1)
    })

    it('should pick up a rotated key on its first token, with one fetch', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      ;({ app } = await verifier(idp))
      expect((await app.inject({ url: '/me', headers: bearer(idp.token()) })).statusCode).toBe(200)
      vi.setSystemTime(Date.now() + 31 * SECOND) // past the refresh cooldown, well within the cache time
      const next = makeKey('RS256', 'k2')
      idp.keys = [idp.keys[0]!, next]
      const res = await app.inject({ url: '/me', headers: bearer(idp.token({}, next)) })
      expect(res.statusCode).toBe(200)
      expect(idp.fetches.jwks).toBe(2)
    })

    it('should cost at most one fetch per cooldown for 1,000 tokens with 1,000 random kids', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      ;({ app } = await verifier(idp, { refreshCooldown: '1m' }))
      expect((await app.inject({ url: '/me', headers: bearer(idp.token()) })).statusCode).toBe(200)
      const storm = async () => {
        const answers = await Promise.all(
          // The key is looked up before the signature is read, so these need no real signature.
          Array.from({ length: 1000 }, () =>
            app!.inject({ url: '/me', headers: bearer(unsigned({ alg: 'RS256', kid: randomUUID() }, idp.claims())) }),
          ),
        )
        expect(answers.every((res) => res.statusCode === 401 && res.json().code === 'TOKEN_INVALID')).toBe(true)
      }
      vi.setSystemTime(Date.now() + 61 * SECOND) // the cooldown since the first fetch has passed
      await storm()
      expect(idp.fetches.jwks).toBe(2)
      vi.setSystemTime(Date.now() + 30 * SECOND) // within the cooldown of the storm's one fetch
      await storm()
      expect(idp.fetches.jwks).toBe(2)
      vi.setSystemTime(Date.now() + 31 * SECOND)
      await storm()
      expect(idp.fetches.jwks).toBe(3)
    })

    it('should share one fetch among concurrent requests before any key is known', async () => {
      ;({ app } = await verifier(idp))
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          app!.inject({
            url: '/me',
            headers: bearer(idp.token({ jti: String(i) }, idp.keys[0], i % 2 ? { kid: randomUUID() } : {})),
          }),
        ),
      )
      expect(answers.filter((res) => res.statusCode === 200)).toHaveLength(100)
      expect(idp.fetches.jwks).toBe(1)
    })

    it.each([
      ['max-age=120 (within the bounds)', 'public, max-age=120', 120],
      ['max-age=86400 (cut to maxCacheTtl)', 'max-age=86400', 3600],
      ['no-cache (raised to minCacheTtl)', 'no-cache', 60],
      ['no Cache-Control (minCacheTtl)', undefined, 60],
    ])('should keep the keys as Cache-Control says: %s', async (_name, cacheControl, freshSeconds) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      idp.cacheControl = cacheControl
      ;({ app } = await verifier(idp, { minCacheTtl: '1m', maxCacheTtl: '1h' }))
      const t0 = Date.now()
      const request = async () => {
        const res = await app!.inject({ url: '/me', headers: bearer(idp.token({ jti: randomUUID() })) })
        expect(res.statusCode).toBe(200)
      }
      await request()
      vi.setSystemTime(t0 + (freshSeconds - 1) * SECOND)
      await request()
      expect(idp.fetches.jwks).toBe(1)
      vi.setSystemTime(t0 + (freshSeconds + 1) * SECOND)
      await request() // verified with the keys at hand; the refresh runs in the background (or first, past maxCacheTtl)
      await vi.waitFor(() => expect(idp.fetches.jwks).toBe(2))
    })

    it('should keep verifying with the cached keys while the identity provider is down, then answer 503 after maxCacheTtl', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      idp.cacheControl = 'max-age=60'
      let lines: LogLine[]
      ;({ app, lines } = await verifier(idp, { minCacheTtl: '1m', maxCacheTtl: '10m', refreshCooldown: '30s' }))
      const t0 = Date.now()
      const failures = () => lines.filter((line) => line.event === 'keel.auth.jwks_fetch_failed')
      const request = () => app!.inject({ url: '/me', headers: bearer(idp.token({ jti: randomUUID() })) })
      expect((await request()).statusCode).toBe(200)
      idp.mode = 'down'
      for (const [index, minutes] of [2, 5, 9].entries()) {
        vi.setSystemTime(t0 + minutes * 60 * SECOND)
        expect((await request()).statusCode).toBe(200)
        await vi.waitFor(() => expect(failures()).toHaveLength(index + 1)) // the background refresh failed
      }
      expect(idp.fetches.jwks).toBe(4)
      vi.setSystemTime(t0 + 601 * SECOND) // past maxCacheTtl after the last successful fetch
      const res = await request()
      expectProblem(res, 503, 'TOKEN_KEYS_UNAVAILABLE')
      expect(res.headers['retry-after']).toBe('5')
      // Within the cooldown, more requests get the 503 without another fetch, and without another log line.
      for (let i = 0; i < 20; i++) expectProblem(await request(), 503, 'TOKEN_KEYS_UNAVAILABLE')
      expect(idp.fetches.jwks).toBe(5)
      expect(failures()).toHaveLength(4)
      expect(failures()[3]).toMatchObject({ level: 50, issuer: idp.issuer, keysUsableUntil: null })
      idp.mode = 'up'
      vi.setSystemTime(t0 + 632 * SECOND)
      expect((await request()).statusCode).toBe(200)
      expect(lines.filter((line) => line.event === 'keel.auth.jwks_fetch_recovered')).toHaveLength(1)
    })

    it('should answer 503 when the JWK Set never answers, within fetchTimeout', async () => {
      idp.mode = 'hang'
      ;({ app } = await verifier(idp, { fetchTimeout: 300 }))
      const started = Date.now()
      const res = await app.inject({ url: '/me', headers: bearer(idp.token()) })
      expectProblem(res, 503, 'TOKEN_KEYS_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(5 * SECOND)
    })

    it('should refuse a JWK Set over maxJwksBytes (503) and take it within the limit', async () => {
      idp.mode = 'huge'
      ;({ app } = await verifier(idp, { maxJwksBytes: 64 * 1024, refreshCooldown: '1s' }))
      expectProblem(await app.inject({ url: '/me', headers: bearer(idp.token()) }), 503, 'TOKEN_KEYS_UNAVAILABLE')
      idp.mode = 'up'
      await new Promise((resolve) => setTimeout(resolve, 1100))
      expect((await app.inject({ url: '/me', headers: bearer(idp.token()) })).statusCode).toBe(200)
    })

    it('should answer 503, not 401, for an unknown kid while the identity provider cannot be reached', async () => {
      ;({ app } = await verifier(idp, { refreshCooldown: '1s' }))
      expect((await app.inject({ url: '/me', headers: bearer(idp.token()) })).statusCode).toBe(200)
      idp.mode = 'down'
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const rotated = makeKey('RS256', 'k-new')
      const res = await app.inject({ url: '/me', headers: bearer(idp.token({}, rotated)) })
      expectProblem(res, 503, 'TOKEN_KEYS_UNAVAILABLE')
      // Keys it has still verify.
      expect((await app.inject({ url: '/me', headers: bearer(idp.token({ jti: 'x' })) })).statusCode).toBe(200)
    })

    it('should stop accepting cached tokens of a key the identity provider withdrew', async () => {
      ;({ app } = await verifier(idp, { refreshCooldown: '1s' }))
      const old = idp.keys[0]!
      const token = idp.token()
      expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
      const next = makeKey('RS256', 'k2')
      idp.keys = [next]
      await new Promise((resolve) => setTimeout(resolve, 1100))
      // A token of the new key makes keel fetch the set without the old key.
      expect((await app.inject({ url: '/me', headers: bearer(idp.token({}, next)) })).statusCode).toBe(200)
      expectProblem(await app.inject({ url: '/me', headers: bearer(token) }), 401, 'TOKEN_INVALID')
      expect(old.kid).toBe('k1')
    })

    it('should enforce exp on a cached token, without verifying it again', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      ;({ app } = await verifier(idp, { minCacheTtl: '1s', maxCacheTtl: '2s' }, { clockTolerance: 0 }))
      const token = idp.token({ exp: Math.floor(Date.now() / 1000) + 60 })
      expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
      idp.mode = 'down'
      vi.setSystemTime(Date.now() + 10 * SECOND)
      // Its keys are past maxCacheTtl: only the cache can answer 200 here.
      expect((await app.inject({ url: '/me', headers: bearer(token) })).statusCode).toBe(200)
      vi.setSystemTime(Date.now() + 60 * SECOND)
      expectProblem(await app.inject({ url: '/me', headers: bearer(token) }), 401, 'TOKEN_EXPIRED')
    })

    it('should add a readiness check that fails while no usable keys are at hand (issuersHealthCheck)', async () => {
      idp.mode = 'down'
      ;({ app } = await verifier(idp, { refreshCooldown: '1s' }, { issuersHealthCheck: true }))
      const down = await app.inject({ url: '/health/ready' })
      expect(down.statusCode).toBe(503)
      expect(down.json().checks['auth:jwks'][0].status).toBe('fail')
      idp.mode = 'up'
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const up = await app.inject({ url: '/health/ready' })
      expect(up.statusCode).toBe(200)
      expect(up.json().checks['auth:jwks'][0].status).toBe('pass')
    })
  })
})
