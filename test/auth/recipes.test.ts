import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDocs } from '../helpers/docs-tables.js'
import { bearer, hsSecret } from './fixtures.js'
import { makeKey, startStandIn } from './idp/stand-in.js'

// The recipes of docs/auth.md marked `<!-- recipe: <name> … -->` run here as written: each is copied into a
// module (under .data/, ignored by git, lint and tsc), which is imported and its `app` driven with inject.
const dir = fileURLToPath(new URL('./.data/recipes/', import.meta.url))

function recipe(name: string): string {
  const docs = readDocs('auth')
  const marker = docs.indexOf(`<!-- recipe: ${name} `)
  if (marker === -1) throw new Error(`docs/auth.md has no recipe "${name}"`)
  const start = docs.indexOf('```ts\n', marker) + '```ts\n'.length
  return docs.slice(start, docs.indexOf('\n```', start))
}

async function load(name: string): Promise<FastifyInstance> {
  const file = `${dir}${name}.ts`
  writeFileSync(file, `${recipe(name)}\nexport { app }\n`)
  const module = (await import(pathToFileURL(file).href)) as { app: FastifyInstance }
  return module.app
}

describe('auth', () => {
  describe('docs recipes', () => {
    beforeAll(() => {
      process.env.JWT_SECRET = hsSecret
      mkdirSync(dir, { recursive: true })
    })
    afterAll(() => {
      delete process.env.JWT_SECRET
      rmSync(dir, { recursive: true, force: true })
    })

    it('should run the usage recipe: login, me, refresh, sessions, logout, wrong password', async () => {
      const app = await load('usage')
      const login = async () => {
        const res = await app.inject({
          method: 'POST',
          url: '/auth/login',
          headers: { 'user-agent': 'recipe-test/1.0' },
          payload: { email: 'ada@example.com', password: 'correct horse' },
        })
        expect(res.statusCode).toBe(200)
        return res.json()
      }
      try {
        const pair = await login()
        expect((await app.inject({ url: '/me', headers: bearer(pair.accessToken) })).json()).toEqual({ id: 'u1' })
        const refreshed = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          payload: { refreshToken: pair.refreshToken },
        })
        expect(refreshed.statusCode).toBe(200)
        const next = refreshed.json()
        const sessions = await app.inject({ url: '/auth/sessions', headers: bearer(next.accessToken) })
        expect(sessions.json()).toEqual([
          expect.objectContaining({ id: pair.sessionId, metadata: { userAgent: 'recipe-test/1.0', ip: '127.0.0.1' } }),
        ])
        const logout = await app.inject({
          method: 'POST',
          url: '/auth/logout',
          headers: bearer(next.accessToken),
          payload: { refreshToken: next.refreshToken },
        })
        expect(logout.statusCode).toBe(204)
        // Session-bound: the access token died with its session.
        expect((await app.inject({ url: '/me', headers: bearer(next.accessToken) })).json().code).toBe('TOKEN_REVOKED')
        const wrong = await app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: 'ada@example.com', password: 'wrong' },
        })
        expect({
          status: wrong.statusCode,
          code: wrong.json().code,
          challenge: wrong.headers['www-authenticate'],
        }).toEqual({ status: 401, code: 'INVALID_CREDENTIALS', challenge: 'Bearer' })
        const [laptop, phone] = [await login(), await login()]
        const end = () =>
          app.inject({
            method: 'DELETE',
            url: `/auth/sessions/${phone.sessionId}`,
            headers: bearer(laptop.accessToken),
          })
        expect((await end()).statusCode).toBe(204)
        expect((await app.inject({ url: '/me', headers: bearer(phone.accessToken) })).json().code).toBe('TOKEN_REVOKED')
        expect((await end()).statusCode).toBe(404)
        const deleted = await app.inject({ method: 'DELETE', url: '/users/u2', headers: bearer(laptop.accessToken) })
        expect(deleted.statusCode).toBe(204)
      } finally {
        await app.close()
      }
    }, 30_000)

    it('should run the resource-server recipe against a local identity provider', async () => {
      const idp = await startStandIn([makeKey('RS256', 'idp-1')], 'https://api.example.com')
      process.env.OIDC_ISSUER = idp.issuer
      process.env.API_AUDIENCE = idp.audience
      const app = await load('resource-server')
      try {
        const me = await app.inject({ url: '/me', headers: bearer(idp.token({ roles: ['admin'] })) })
        expect(me.json()).toEqual({ sub: 'idp-user-1', roles: ['admin'] })
        const denied = await app.inject({
          method: 'DELETE',
          url: '/users/u2',
          headers: bearer(idp.token({ scope: 'users:read' })),
        })
        expect(denied.statusCode).toBe(403)
        const allowed = await app.inject({
          method: 'DELETE',
          url: '/users/u2',
          headers: bearer(idp.token({ scope: 'users:read users:delete' })),
        })
        expect(allowed.statusCode).toBe(204)
        expect(idp.fetches).toEqual({ discovery: 1, jwks: 1 })
      } finally {
        await app.close()
        await idp.close()
        delete process.env.OIDC_ISSUER
        delete process.env.API_AUDIENCE
      }
    }, 30_000)

    it('should run the cookie recipe: the refresh token only in the cookie, CSRF refused', async () => {
      const app = await load('cookie')
      const fromApp = { 'x-requested-with': 'fetch', 'sec-fetch-site': 'same-origin' }
      try {
        const login = await app.inject({ method: 'POST', url: '/auth/login', headers: fromApp })
        expect(login.json().refreshToken).toBeUndefined()
        const cookie = String(login.headers['set-cookie']).split(';')[0]!
        expect(cookie).toMatch(/^__Secure-keel_refresh=[A-Za-z0-9_-]{43}$/)
        const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { ...fromApp, cookie } })
        expect(refreshed.statusCode).toBe(200)
        const forged = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        })
        expect({ status: forged.statusCode, code: forged.json().code }).toEqual({ status: 403, code: 'CSRF_REJECTED' })
        const sibling = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          headers: {
            cookie: String(refreshed.headers['set-cookie']).split(';')[0]!,
            'x-requested-with': 'fetch',
            origin: 'https://app.example.com',
            'sec-fetch-site': 'same-site',
          },
        })
        expect(sibling.statusCode).toBe(200)
        const last = String(sibling.headers['set-cookie']).split(';')[0]!
        const logout = await app.inject({
          method: 'POST',
          url: '/auth/logout',
          headers: { ...fromApp, ...bearer(sibling.json().accessToken), cookie: last },
        })
        expect({ status: logout.statusCode, clear: logout.headers['clear-site-data'] }).toEqual({
          status: 204,
          clear: '"cookies"',
        })
        const after = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { ...fromApp, cookie: last } })
        expect(after.json().code).toBe('REFRESH_TOKEN_REVOKED')
      } finally {
        await app.close()
      }
    }, 30_000)

    it('should run the SqlTokenStore recipe', async () => {
      const app = await load('sql-store')
      try {
        const pair = await app.tokens.issue({ sub: 'u1', roles: [] })
        await expect(app.tokens.rotate(pair.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' })
        await expect(app.tokens.checkStore()).resolves.toBeUndefined()
      } finally {
        await app.close()
      }
    }, 30_000)
  })
})
