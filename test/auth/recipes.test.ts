import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDocs } from '../helpers/docs-tables.js'
import { bearer, hsSecret } from './fixtures.js'

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

    it('should run the usage recipe: login, me, refresh, logout, wrong password', async () => {
      const app = await load('usage')
      try {
        const login = await app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: 'ada@example.com', password: 'correct horse' },
        })
        expect(login.statusCode).toBe(200)
        const pair = login.json()
        expect((await app.inject({ url: '/me', headers: bearer(pair.accessToken) })).json()).toEqual({ id: 'u1' })
        const refreshed = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          payload: { refreshToken: pair.refreshToken },
        })
        expect(refreshed.statusCode).toBe(200)
        const next = refreshed.json()
        const logout = await app.inject({
          method: 'POST',
          url: '/auth/logout',
          headers: bearer(next.accessToken),
          payload: { refreshToken: next.refreshToken },
        })
        expect(logout.statusCode, logout.body).toBe(204)
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
        const deleted = await app.inject({ method: 'DELETE', url: '/users/u2', headers: bearer(next.accessToken) })
        expect(deleted.statusCode).toBe(204)
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
