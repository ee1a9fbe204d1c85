// authenticate's promise: with a cached token and the in-memory store, the hook costs no promise per request (issue
// 20); called directly, `app.authenticate(request, reply)` still returns one, as its type says.
import { createHook } from 'node:async_hooks'
import Fastify from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { describe, expect, it } from 'vitest'
import { audience, bearer, hsSecret, issuer } from './fixtures.js'

async function promisesPerRequest(authenticated: boolean): Promise<number> {
  const app = Fastify()
  await app.register(keelErrors)
  await app.register(keelAuth, { secret: hsSecret, issuer, audience, accessTokens: 'stateless' })
  app.get('/plain', (_request, reply) => {
    reply.send('ok')
  })
  app.get('/me', { onRequest: [app.authenticate] }, (_request, reply) => {
    reply.send('ok')
  })
  await app.ready()
  const { accessToken } = await app.tokens.issue({ sub: 'user-1', roles: [] })
  const request = { url: authenticated ? '/me' : '/plain', headers: bearer(accessToken) }
  for (let i = 0; i < 20; i++) await app.inject(request) // warm: the first request verifies and caches the token
  let promises = 0
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++
    },
  }).enable()
  try {
    for (let i = 0; i < 100; i++) {
      const response = await app.inject(request)
      if (response.statusCode !== 200) throw new Error(`expected 200, got ${response.statusCode}`)
    }
  } finally {
    hook.disable()
    await app.close()
  }
  return promises / 100
}

describe('auth', () => {
  describe('hot path', () => {
    it('should create no promise per request for a cached token with the in-memory store', async () => {
      const baseline = await promisesPerRequest(false)
      expect(await promisesPerRequest(true)).toBe(baseline)
    })

    it('should return a promise when called directly, rejected with TOKEN_MISSING without a token', async () => {
      const app = Fastify()
      await app.register(keelErrors)
      await app.register(keelAuth, { secret: hsSecret, issuer, audience })
      app.get('/direct', async (request, reply) => {
        const result = app.authenticate(request, reply)
        expect(result).toBeInstanceOf(Promise)
        await result
        return { sub: request.user.sub }
      })
      try {
        const { accessToken } = await app.tokens.issue({ sub: 'user-1', roles: [] })
        const ok = await app.inject({ url: '/direct', headers: bearer(accessToken) })
        expect(ok.statusCode).toBe(200)
        expect(ok.json()).toEqual({ sub: 'user-1' })
        const missing = await app.inject({ url: '/direct' })
        expect(missing.statusCode).toBe(401)
        expect(missing.json().code).toBe('TOKEN_MISSING')
      } finally {
        await app.close()
      }
    })
  })
})
