import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { audience, bearer, buildApp, hsSecret, issuer } from './fixtures.js'

function decodeSegment(token: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString()) as Record<string, unknown>
}

describe('auth', () => {
  describe('authenticate', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('should set request.user from a token issued by app.tokens.issue', async () => {
      const app = await buildApp()
      try {
        const pair = await app.tokens.issue({ sub: 'user-1', roles: ['admin'], tenant: 't1' } as never)
        const res = await app.inject({ url: '/me', headers: bearer(pair.accessToken) })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ sub: 'user-1', roles: ['admin'], tenant: 't1', iss: issuer, aud: audience })
        expect(typeof res.json().jti).toBe('string')
      } finally {
        await app.close()
      }
    })

    it('should sign an at+jwt with the current key id and write iss, aud, sub, sid, iat, exp and jti', async () => {
      const app = await buildApp({ accessTokenTtl: '10m' })
      try {
        const { accessToken, expiresIn, tokenType, sessionId } = await app.tokens.issue({ sub: 'u', roles: [] })
        expect(decodeSegment(accessToken, 0)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'default' })
        const claims = decodeSegment(accessToken, 1)
        expect(claims).toMatchObject({ iss: issuer, aud: audience, sub: 'u', roles: [], sid: sessionId })
        expect((claims.exp as number) - (claims.iat as number)).toBe(600)
        expect(typeof claims.jti).toBe('string')
        expect({ expiresIn, tokenType }).toEqual({ expiresIn: 600, tokenType: 'Bearer' })
      } finally {
        await app.close()
      }
    })

    it('should give each token a distinct jti', async () => {
      const app = await buildApp()
      try {
        const a = await app.tokens.issue({ sub: 'u', roles: [] })
        const b = await app.tokens.issue({ sub: 'u', roles: [] })
        expect(decodeSegment(a.accessToken, 1).jti).not.toBe(decodeSegment(b.accessToken, 1).jti)
      } finally {
        await app.close()
      }
    })

    it('should not let issue() override registered claims', async () => {
      const app = await buildApp()
      try {
        const pair = await app.tokens.issue({ sub: 'u', roles: [], iss: 'evil', aud: 'evil', exp: 1 } as never)
        const res = await app.inject({ url: '/me', headers: bearer(pair.accessToken) })
        expect(res.statusCode).toBe(200)
        expect(res.json()).toMatchObject({ iss: issuer, aud: audience })
      } finally {
        await app.close()
      }
    })

    it('should reject issue() without a sub at runtime too', async () => {
      const app = await buildApp()
      try {
        await expect(app.tokens.issue({ roles: [] } as never)).rejects.toThrow(TypeError)
      } finally {
        await app.close()
      }
    })

    it('should serve a real HTTP request with a bearer token', async () => {
      const app = await buildApp()
      try {
        const address = await app.listen({ port: 0, host: '127.0.0.1' })
        const { accessToken } = await app.tokens.issue({ sub: 'user-http', roles: [] })
        const ok = await fetch(`${address}/me`, { headers: bearer(accessToken) })
        expect(ok.status).toBe(200)
        expect(((await ok.json()) as { sub: string }).sub).toBe('user-http')
        const denied = await fetch(`${address}/me`)
        expect(denied.status).toBe(401)
        expect(denied.headers.get('www-authenticate')).toBe('Bearer')
      } finally {
        await app.close()
      }
    })

    it('should enforce exp on a token the verify cache already holds', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
      const app = await buildApp({ accessTokenTtl: '60s', clockTolerance: 0 })
      try {
        const { accessToken } = await app.tokens.issue({ sub: 'u', roles: [] })
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200) // cache hit
        vi.setSystemTime(new Date('2030-01-01T00:01:01Z'))
        const res = await app.inject({ url: '/me', headers: bearer(accessToken) })
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_EXPIRED' })
      } finally {
        await app.close()
      }
    })

    it('should reject a token one character away from one the verify cache holds', async () => {
      const app = await buildApp()
      try {
        const { accessToken } = await app.tokens.issue({ sub: 'u', roles: [] })
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
        // Change a character inside the signature: the last one also carries base64url padding bits, and
        // changing only those leaves the decoded signature (and so a valid token) unchanged.
        const at = accessToken.length - 10
        const swapped = accessToken[at] === 'A' ? 'B' : 'A'
        const tampered = [
          `${accessToken.slice(0, at)}${swapped}${accessToken.slice(at + 1)}`,
          `${accessToken}A`,
          accessToken.slice(0, -1),
          accessToken.replace('.', '.e'),
        ]
        for (const token of tampered) {
          const res = await app.inject({ url: '/me', headers: bearer(token) })
          expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_INVALID' })
        }
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it('should register without patching process.emitWarning or emitting a process warning', async () => {
      // Record every write to process.emitWarning while two apps boot (the old code swapped it during boot).
      const original = Object.getOwnPropertyDescriptor(process, 'emitWarning')
      let current = process.emitWarning
      const writes: unknown[] = []
      Object.defineProperty(process, 'emitWarning', {
        configurable: true,
        get: () => current,
        set: (value: typeof process.emitWarning) => {
          writes.push(value)
          current = value
        },
      })
      const warnings: Error[] = []
      const onWarning = (warning: Error) => warnings.push(warning)
      process.on('warning', onWarning)
      try {
        const apps = await Promise.all([buildApp(), buildApp({ verifyCache: 10 })])
        await Promise.all(apps.map((app) => app.ready()))
        const { accessToken } = await apps[0]!.tokens.issue({ sub: 'u', roles: [] })
        for (let i = 0; i < 2; i++) {
          expect((await apps[0]!.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
        }
        await Promise.all(apps.map((app) => app.close()))
        // 'warning' events are emitted on the next tick.
        await new Promise((resolve) => setImmediate(resolve))
        expect({ writes: writes.length, warnings: warnings.map((warning) => warning.name) }).toEqual({
          writes: 0,
          warnings: [],
        })
      } finally {
        process.off('warning', onWarning)
        if (original !== undefined) Object.defineProperty(process, 'emitWarning', original)
      }
    })

    it('should accept a token within clockTolerance after exp', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
      const app = await buildApp({ accessTokenTtl: 60_000, clockTolerance: '5s' })
      try {
        const { accessToken } = await app.tokens.issue({ sub: 'u', roles: [] })
        vi.setSystemTime(new Date('2030-01-01T00:01:03Z'))
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
        vi.setSystemTime(new Date('2030-01-01T00:01:06Z'))
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).json().code).toBe('TOKEN_EXPIRED')
      } finally {
        await app.close()
      }
    })

    describe('revokeAll', () => {
      it('should reject access tokens issued before revokeAll, also when cached', async () => {
        const app = await buildApp()
        try {
          const old = await app.tokens.issue({ sub: 'user-r', roles: [] })
          expect((await app.inject({ url: '/me', headers: bearer(old.accessToken) })).statusCode).toBe(200)
          await app.tokens.revokeAll('user-r')
          const res = await app.inject({ url: '/me', headers: bearer(old.accessToken) })
          expect({ status: res.statusCode, code: res.json().code, challenge: res.headers['www-authenticate'] }).toEqual(
            {
              status: 401,
              code: 'TOKEN_REVOKED',
              challenge: 'Bearer error="invalid_token"',
            },
          )
        } finally {
          await app.close()
        }
      })

      it('should accept a token issued right after revokeAll (same millisecond)', async () => {
        vi.useFakeTimers({ toFake: ['Date'] })
        vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
        const app = await buildApp()
        try {
          // The clock stands still: revokeAll and both issues happen "in the same millisecond".
          const before = await app.tokens.issue({ sub: 'user-ms', roles: [] })
          await app.tokens.revokeAll('user-ms')
          const after = await app.tokens.issue({ sub: 'user-ms', roles: [] })
          expect((await app.inject({ url: '/me', headers: bearer(after.accessToken) })).statusCode).toBe(200)
          expect((await app.inject({ url: '/me', headers: bearer(before.accessToken) })).json().code).toBe(
            'TOKEN_REVOKED',
          )
        } finally {
          await app.close()
        }
      })

      it('should revoke the refresh tokens of that subject and no other', async () => {
        const app = await buildApp()
        try {
          const mine = await app.tokens.issue({ sub: 'user-a', roles: [] })
          const theirs = await app.tokens.issue({ sub: 'user-b', roles: [] })
          await app.tokens.revokeAll('user-a')
          await expect(app.tokens.rotate(mine.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
          await expect(app.tokens.rotate(theirs.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' })
          expect((await app.inject({ url: '/me', headers: bearer(theirs.accessToken) })).statusCode).toBe(200)
        } finally {
          await app.close()
        }
      })

      it('should answer a problem document with keelErrors', async () => {
        const app = Fastify()
        await app.register(keelErrors)
        await app.register(keelAuth, { secret: hsSecret, issuer, audience })
        app.get('/me', { onRequest: [app.authenticate] }, async () => 'ok')
        try {
          const old = await app.tokens.issue({ sub: 'user-p', roles: [] })
          await app.tokens.revokeAll('user-p')
          const res = await app.inject({ url: '/me', headers: bearer(old.accessToken) })
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(res.json()).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' })
        } finally {
          await app.close()
        }
      })
    })

    describe('next to an app-level @fastify/jwt', () => {
      const appSecret = 'the-apps-own-jwt-secret-0123456789abcdef'

      it.each([
        ['before', true],
        ['after', false],
      ])('should work when the app registers @fastify/jwt %s keelAuth', async (_order, jwtFirst) => {
        const app = Fastify()
        if (jwtFirst) await app.register(fastifyJwt, { secret: appSecret })
        await app.register(keelAuth, { secret: hsSecret, issuer, audience })
        if (!jwtFirst) await app.register(fastifyJwt, { secret: appSecret })
        app.get('/keel', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
        app.get('/own', async (request) => {
          await request.jwtVerify()
          return { sub: request.user.sub }
        })
        try {
          await app.ready()
          const keelPair = await app.tokens.issue({ sub: 'keel-user', roles: [] })
          const own = app.jwt.sign({ sub: 'own-user' })
          const keelRes = await app.inject({ url: '/keel', headers: bearer(keelPair.accessToken) })
          expect(keelRes.json()).toEqual({ sub: 'keel-user' })
          const ownRes = await app.inject({ url: '/own', headers: bearer(own) })
          expect(ownRes.json()).toEqual({ sub: 'own-user' })
          // Neither accepts the other's tokens: separate secrets, separate verifiers.
          expect((await app.inject({ url: '/keel', headers: bearer(own) })).statusCode).toBe(401)
          expect((await app.inject({ url: '/own', headers: bearer(keelPair.accessToken) })).statusCode).toBe(401)
        } finally {
          await app.close()
        }
      })
    })

    it('should fail boot when registered twice in one scope', async () => {
      const app = Fastify()
      await app.register(keelAuth, { secret: hsSecret, issuer, audience })
      app.register(keelAuth, { secret: hsSecret, issuer, audience })
      await expect(app.ready()).rejects.toMatchObject({ code: 'KEEL_ERR_AUTH_DECORATOR_EXISTS' })
      await app.close()
    })
  })
})
