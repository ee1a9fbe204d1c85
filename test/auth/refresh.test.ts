import { createHash } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth, MemoryTokenStore, type RefreshTokenRecord, type TokenPair } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { audience, bearer, buildApp, captureLogs, hsSecret, issuer } from './fixtures.js'

/** An app with keelErrors, keelAuth and `POST /refresh` + `POST /logout` taking `{ refreshToken }`. */
async function refreshApp(logStream?: NodeJS.WritableStream): Promise<FastifyInstance> {
  const app = Fastify(logStream === undefined ? {} : { logger: { level: 'info', stream: logStream } })
  await app.register(keelErrors)
  await app.register(keelAuth, { secret: hsSecret, issuer, audience })
  const body = {
    type: 'object',
    required: ['refreshToken'],
    properties: { refreshToken: { type: 'string', maxLength: 256 } },
  } as const
  app.post<{ Body: { refreshToken: string } }>('/refresh', { schema: { body } }, async (request) =>
    app.tokens.rotate(request.body.refreshToken),
  )
  app.post<{ Body: { refreshToken: string } }>('/logout', { schema: { body } }, async (request, reply) => {
    await app.tokens.revoke(request.body.refreshToken)
    return reply.code(204).send()
  })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => request.user)
  return app
}

describe('auth', () => {
  describe('refresh tokens', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('should issue an opaque 256-bit refresh token, not a JWT', async () => {
      const app = await buildApp()
      try {
        const { refreshToken } = await app.tokens.issue({ sub: 'u', roles: [] })
        expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(Buffer.from(refreshToken, 'base64url')).toHaveLength(32)
      } finally {
        await app.close()
      }
    })

    it('should store only the SHA-256 hash of a refresh token', async () => {
      const store = new MemoryTokenStore()
      const saved: Array<[string, RefreshTokenRecord]> = []
      const save = store.save.bind(store)
      store.save = async (hash, record) => {
        saved.push([hash, record])
        return save(hash, record)
      }
      const app = await buildApp({ store })
      try {
        const { refreshToken } = await app.tokens.issue({ sub: 'u', roles: [] })
        expect(saved).toHaveLength(1)
        const [hash, record] = saved[0]!
        expect(hash).toBe(createHash('sha256').update(refreshToken).digest('base64url'))
        expect(JSON.stringify(record)).not.toContain(refreshToken)
      } finally {
        await app.close()
      }
    })

    it('should rotate into a new pair carrying the same claims, and kill the old refresh token', async () => {
      const app = await refreshApp()
      try {
        const first = await app.tokens.issue({ sub: 'user-1', roles: ['admin'], tenant: 't9' } as never)
        const res = await app.inject({ method: 'POST', url: '/refresh', payload: { refreshToken: first.refreshToken } })
        expect(res.statusCode).toBe(200)
        const next = res.json() as TokenPair
        expect(next.refreshToken).not.toBe(first.refreshToken)
        expect(next.accessToken).not.toBe(first.accessToken)
        const me = await app.inject({ url: '/me', headers: bearer(next.accessToken) })
        expect(me.json()).toMatchObject({ sub: 'user-1', roles: ['admin'], tenant: 't9' })
        const again = await app.inject({
          method: 'POST',
          url: '/refresh',
          payload: { refreshToken: first.refreshToken },
        })
        expect(again.statusCode).toBe(401)
      } finally {
        await app.close()
      }
    })

    it('should answer REFRESH_TOKEN_REUSED to a replayed token, revoke the family and log a warning', async () => {
      const { stream, lines } = captureLogs()
      const app = await refreshApp(stream)
      try {
        const stolen = await app.tokens.issue({ sub: 'user-1', roles: [] })
        // The user rotates first; the thief replays the old token.
        const users = await app.tokens.rotate(stolen.refreshToken)
        const thief = await app.inject({
          method: 'POST',
          url: '/refresh',
          payload: { refreshToken: stolen.refreshToken },
        })
        expect(thief.statusCode).toBe(401)
        expect(thief.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(thief.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
        expect(thief.json()).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REUSED' })
        // The user's next rotation fails too: the whole family is revoked.
        const user = await app.inject({
          method: 'POST',
          url: '/refresh',
          payload: { refreshToken: users.refreshToken },
        })
        expect(user.json()).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REVOKED' })
        const warnings = lines.filter((line) => line.event === 'keel.auth.refresh_token_reused')
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatchObject({ level: 40, sub: 'user-1', family: expect.any(String) })
        expect(JSON.stringify(warnings[0])).not.toContain(stolen.refreshToken)
      } finally {
        await app.close()
      }
    })

    it('should log reuse once per family, with its subject and family id, however many requests lose a race', async () => {
      const { stream, lines } = captureLogs()
      const app = await refreshApp(stream)
      try {
        const first = await app.tokens.issue({ sub: 'user-race', roles: [] })
        const other = await app.tokens.issue({ sub: 'user-race', roles: [] })
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            app.inject({ method: 'POST', url: '/refresh', payload: { refreshToken: first.refreshToken } }),
          ),
        )
        expect(results.filter((res) => res.statusCode === 200)).toHaveLength(1)
        expect(results.filter((res) => res.json().code === 'REFRESH_TOKEN_REUSED')).toHaveLength(19)
        // Another family of the same user, reused later, is its own line.
        await app.tokens.rotate(other.refreshToken)
        await expect(app.tokens.rotate(other.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
        await expect(app.tokens.rotate(other.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
        const warnings = lines.filter((line) => line.event === 'keel.auth.refresh_token_reused')
        expect(warnings.map((line) => line.sub)).toEqual(['user-race', 'user-race'])
        expect(new Set(warnings.map((line) => line.family)).size).toBe(2)
      } finally {
        await app.close()
      }
    })

    it('should let exactly one of two concurrent rotations win', async () => {
      const app = await buildApp()
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [] })
        const results = await Promise.allSettled([
          app.tokens.rotate(pair.refreshToken),
          app.tokens.rotate(pair.refreshToken),
        ])
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
        const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
        expect(rejected.reason).toMatchObject({ statusCode: 401, code: 'REFRESH_TOKEN_REUSED' })
      } finally {
        await app.close()
      }
    })

    it('should answer a repeat within refreshGraceWindow with the same refresh token, and log no reuse', async () => {
      const { stream, lines } = captureLogs()
      const app = Fastify({ logger: { level: 'info', stream } })
      await app.register(keelAuth, { secret: hsSecret, issuer, audience, refreshGraceWindow: '5s' })
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [] })
        const [first, second] = await Promise.all([
          app.tokens.rotate(pair.refreshToken),
          app.tokens.rotate(pair.refreshToken),
        ])
        expect(second.refreshToken).toBe(first.refreshToken)
        expect(second.accessToken).not.toBe(first.accessToken)
        expect(lines.filter((line) => line.event === 'keel.auth.refresh_token_reused')).toEqual([])
      } finally {
        await app.close()
      }
    })

    it('should answer 401 REFRESH_TOKEN_INVALID when the store returns a successor not sealed for the token', async () => {
      const store = new MemoryTokenStore()
      const rotate = store.rotate.bind(store)
      store.rotate = async (request) => {
        const result = await rotate(request)
        return result.status === 'graced'
          ? { ...result, sealedNext: 'g1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }
          : result
      }
      const app = await buildApp({ store, refreshGraceWindow: '5s' })
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [] })
        await app.tokens.rotate(pair.refreshToken)
        await expect(app.tokens.rotate(pair.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' })
      } finally {
        await app.close()
      }
    })

    it('should answer REFRESH_TOKEN_EXPIRED after refreshTokenTtl', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
      const app = await buildApp({ refreshTokenTtl: '1h' })
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [] })
        vi.setSystemTime(new Date('2030-01-01T01:00:01Z'))
        await expect(app.tokens.rotate(pair.refreshToken)).rejects.toMatchObject({
          statusCode: 401,
          code: 'REFRESH_TOKEN_EXPIRED',
        })
      } finally {
        await app.close()
      }
    })

    it('should renew the refresh lifetime on each rotation', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
      const app = await buildApp({ refreshTokenTtl: '1h' })
      try {
        const first = await app.tokens.issue({ sub: 'u', roles: [] })
        vi.setSystemTime(new Date('2030-01-01T00:50:00Z'))
        const second = await app.tokens.rotate(first.refreshToken)
        vi.setSystemTime(new Date('2030-01-01T01:40:00Z'))
        await expect(app.tokens.rotate(second.refreshToken)).resolves.toMatchObject({ refreshTokenExpiresIn: 3600 })
      } finally {
        await app.close()
      }
    })

    it('should answer REFRESH_TOKEN_REVOKED after logout, and leave other sessions alone', async () => {
      const app = await refreshApp()
      try {
        const laptop = await app.tokens.issue({ sub: 'u', roles: [] })
        const phone = await app.tokens.issue({ sub: 'u', roles: [] })
        const logout = await app.inject({
          method: 'POST',
          url: '/logout',
          payload: { refreshToken: laptop.refreshToken },
        })
        expect(logout.statusCode).toBe(204)
        const res = await app.inject({
          method: 'POST',
          url: '/refresh',
          payload: { refreshToken: laptop.refreshToken },
        })
        expect(res.json()).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REVOKED' })
        await expect(app.tokens.rotate(phone.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' })
      } finally {
        await app.close()
      }
    })

    it("should revoke a refresh token given with { sub } only when it is that subject's", async () => {
      const app = await buildApp()
      try {
        const mine = await app.tokens.issue({ sub: 'user-me', roles: [] })
        const theirs = await app.tokens.issue({ sub: 'user-other', roles: [] })
        // Someone else's token: a silent no-op, and their session goes on.
        await expect(app.tokens.revoke(theirs.refreshToken, { sub: 'user-me' })).resolves.toBe(false)
        const next = await app.tokens.rotate(theirs.refreshToken)
        expect(next.tokenType).toBe('Bearer')
        await expect(app.tokens.revoke(mine.refreshToken, { sub: 'user-me' })).resolves.toBe(true)
        await expect(app.tokens.rotate(mine.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
        // Without { sub }, any valid token is revoked (for admin tools).
        await expect(app.tokens.revoke(next.refreshToken)).resolves.toBe(true)
        await expect(app.tokens.revoke(mine.refreshToken, { sub: '' })).rejects.toThrow(TypeError)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['an unknown well-formed token', 'A'.repeat(43)],
      ['an empty string', ''],
      ['a short token', 'abc'],
      ['a token one character too long', 'A'.repeat(44)],
      ['characters outside base64url', `${'A'.repeat(42)}+`],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'],
      ['whitespace around a token', ` ${'A'.repeat(43)} `],
    ])('should answer 401 REFRESH_TOKEN_INVALID to %s', async (_name, refreshToken) => {
      const app = await refreshApp()
      try {
        const res = await app.inject({ method: 'POST', url: '/refresh', payload: { refreshToken } })
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.json()).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_INVALID' })
      } finally {
        await app.close()
      }
    })

    it('should reject a non-string refresh token passed in code', async () => {
      const app = await buildApp()
      try {
        await expect(app.tokens.rotate(42 as never)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' })
        await expect(app.tokens.revoke(undefined as never)).resolves.toBe(false)
      } finally {
        await app.close()
      }
    })

    it('should keep status and code without keelErrors (default error handler)', async () => {
      const app = await buildApp()
      app.post<{ Body: { refreshToken: string } }>('/refresh', async (request) =>
        app.tokens.rotate(request.body.refreshToken),
      )
      try {
        const res = await app.inject({ method: 'POST', url: '/refresh', payload: { refreshToken: 'B'.repeat(43) } })
        expect({ status: res.statusCode, code: res.json().code, challenge: res.headers['www-authenticate'] }).toEqual({
          status: 401,
          code: 'REFRESH_TOKEN_INVALID',
          challenge: 'Bearer error="invalid_token"',
        })
      } finally {
        await app.close()
      }
    })

    it('should refresh over a real HTTP connection', async () => {
      const app = await refreshApp()
      try {
        const address = await app.listen({ port: 0, host: '127.0.0.1' })
        const { refreshToken } = await app.tokens.issue({ sub: 'user-http', roles: [] })
        const res = await fetch(`${address}/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        })
        expect(res.status).toBe(200)
        const pair = (await res.json()) as TokenPair
        const me = await fetch(`${address}/me`, { headers: bearer(pair.accessToken) })
        expect(((await me.json()) as { sub: string }).sub).toBe('user-http')
      } finally {
        await app.close()
      }
    })
  })
})
