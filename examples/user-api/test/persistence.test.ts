import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { migrate, migrationsDir } from '../src/db/migrate.js'
import { ADMIN, pgliteTarget, startApp, type Target, testConfig } from './harness.js'

describe('example persistence (embedded PGlite)', () => {
  let target: Target
  beforeAll(async () => {
    target = await pgliteTarget()
  })
  afterAll(async () => {
    await target?.cleanup()
  })

  it('should keep users across a restart on the same data dir', async () => {
    const config = testConfig(target)
    const first = await startApp(config)
    let userId: string
    try {
      userId = (await first.api.register('persistent@example.test', 'Persistent')).id
    } finally {
      await first.close()
    }

    // Same data dir, migrations already recorded: the second start applies nothing and finds the user.
    const second = await startApp(config)
    try {
      const { accessToken } = await second.api.login('persistent@example.test')
      const me = await second.api.request<{ user: { id: string } }>('GET', '/users/me', { token: accessToken })
      expect(me.status).toBe(200)
      expect(me.body.user.id).toBe(userId)
    } finally {
      await second.close()
    }
  }, 60_000)

  it('should keep sessions across a restart: a refresh token and a revocation from before still count', async () => {
    const config = testConfig(target)
    const first = await startApp(config)
    let kept: { refreshToken: string }
    let revoked: { accessToken: string }
    try {
      await first.api.register('sessions@example.test')
      kept = await first.api.login('sessions@example.test')
      revoked = await first.api.login('sessions@example.test')
      const logout = await first.api.request('POST', '/auth/logout', { token: revoked.accessToken, body: {} })
      expect(logout.status).toBe(204)
    } finally {
      await first.close()
    }

    const second = await startApp(config)
    try {
      const refreshed = await second.api.request('POST', '/auth/refresh', { body: { refreshToken: kept.refreshToken } })
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200)
      const me = await second.api.request('GET', '/users/me', { token: revoked.accessToken })
      expect(me.status).toBe(401)
      expect((me.body as { code?: unknown }).code).toBe('TOKEN_REVOKED')
    } finally {
      await second.close()
    }
  }, 60_000)

  it('should make names written before migration 002 searchable in any case', async () => {
    const old = await pgliteTarget()
    const firstOnly = await mkdtemp(join(tmpdir(), 'keel-example-migrations-'))
    try {
      // A database as the app left it before migration 002, with a user whose name is not ASCII.
      await copyFile(join(migrationsDir, '001_users.sql'), join(firstOnly, '001_users.sql'))
      const db = await openDatabase({ dataDir: old.storage.dataDir })
      try {
        expect(await migrate(db, firstOnly)).toEqual(['001_users.sql'])
        await db.query("INSERT INTO users (email, name, password_hash) VALUES ($1, $2, 'not-a-hash')", [
          'emile@example.test',
          'Émile Ørsted',
        ])
      } finally {
        await db.close()
      }

      const running = await startApp(testConfig(old))
      try {
        const { accessToken } = await running.api.login(ADMIN.email, ADMIN.password)
        const found = await running.api.request<{ data: Array<{ email: string }> }>(
          'GET',
          '/users?q=%C3%A9MILE%20%C3%B8',
          {
            token: accessToken,
          },
        )
        expect(found.status).toBe(200)
        expect(found.body.data.map((user) => user.email)).toEqual(['emile@example.test'])
      } finally {
        await running.close()
      }
    } finally {
      await rm(firstOnly, { recursive: true, force: true })
      await old.cleanup()
    }
  }, 60_000)
})
