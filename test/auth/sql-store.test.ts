import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import {
  type RefreshTokenRecord,
  runTokenStoreContract,
  SqlTokenStore,
  sqlTokenStoreMigration,
  type TokenPair,
} from 'fastify-keel/auth'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeWithDatabase } from '../helpers/services.js'
import { bearer, buildApp } from './fixtures.js'

function randomHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url')
}

function record(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    family: randomUUID(),
    sub: `user-${randomUUID()}`,
    claims: { roles: ['member'] },
    familyIssuedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    sessionExpiresAt: Date.now() + 120_000,
    metadata: {},
    ...overrides,
  }
}

/** A rotation of `hash` now, into `nextHash`, expiring after `ttl` ms. */
function rotation(hash: string, nextHash = randomHash(), ttl = 60_000) {
  return { hash, nextHash, now: Date.now(), nextExpiresAt: Date.now() + ttl }
}

// One embedded database for every PGlite test (starting one costs seconds of CPU); each test has its own tables.
const db = new PGlite()
afterAll(() => db.close())

describe('auth: SqlTokenStore on PGlite', () => {
  runTokenStoreContract(
    'SqlTokenStore (PGlite)',
    async () => {
      const store = new SqlTokenStore(db)
      await store.migrate()
      return store
    },
    { describe, it },
  )
})

describe('auth: sqlTokenStoreMigration', () => {
  it('should create the tables in the given schema with PGlite exec, idempotently', async () => {
    await db.exec('create schema auth')
    const sql = sqlTokenStoreMigration({ schema: 'auth', tablePrefix: 'app_' })
    await db.exec(sql)
    await db.exec(sql)
    const { rows } = await db.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'auth' order by table_name",
    )
    expect(rows.map((row) => row.table_name)).toEqual(['app_refresh_tokens', 'app_sessions', 'app_subjects'])
    const store = new SqlTokenStore(db, { schema: 'auth', tablePrefix: 'app_' })
    const hash = randomHash()
    await store.save(hash, record())
    expect((await store.rotate(rotation(hash, randomHash(), 1000))).status).toBe('rotated')
  })

  it('should refuse a sub longer than 1024 characters and claims over 8 KB in the database itself', async () => {
    const store = new SqlTokenStore(db, { tablePrefix: 'bounds_' })
    await store.migrate()
    await expect(store.save(randomHash(), record({ sub: 'x'.repeat(1025) }))).rejects.toThrow(/check constraint/)
    await expect(store.save(randomHash(), record({ claims: { pad: 'x'.repeat(9000) } }))).rejects.toThrow(
      /check constraint/,
    )
  })

  it('should delete expired rows as it writes, so the tables stay bounded', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] })
    try {
      const store = new SqlTokenStore(db, { sweepEvery: 10, tablePrefix: 'sweep_' })
      await store.migrate()
      for (let i = 0; i < 50; i++) await store.save(randomHash(), record({ expiresAt: Date.now() + 1000 }))
      await store.revokeSubject('someone', Date.now(), 1000)
      vi.setSystemTime(Date.now() + 2000)
      for (let i = 0; i < 10; i++) await store.save(randomHash(), record())
      const count = async (table: string) =>
        (await db.query<{ n: number }>(`select count(*)::int as n from sweep_${table}`)).rows[0]?.n
      expect({
        tokens: await count('refresh_tokens'),
        sessions: await count('sessions'),
        subjects: await count('subjects'),
      }).toEqual({ tokens: 10, sessions: 10, subjects: 0 })
    } finally {
      vi.useRealTimers()
    }
  })

  it('should serve keelAuth end to end: issue, authenticate, rotate, revokeAll', async () => {
    const store = new SqlTokenStore(db, { tablePrefix: 'e2e_' })
    await store.migrate()
    const app = await buildApp({ store })
    try {
      const first = await app.tokens.issue({ sub: 'user-sql', roles: ['admin'] })
      expect((await app.inject({ url: '/me', headers: bearer(first.accessToken) })).json()).toMatchObject({
        sub: 'user-sql',
        roles: ['admin'],
      })
      const second = await app.tokens.rotate(first.refreshToken)
      await app.tokens.revokeAll('user-sql')
      expect((await app.inject({ url: '/me', headers: bearer(second.accessToken) })).json().code).toBe('TOKEN_REVOKED')
      await expect(app.tokens.rotate(second.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
    } finally {
      await app.close()
    }
  })
})

describeWithDatabase('auth: SqlTokenStore on PostgreSQL', (url) => {
  const schema = `keel_auth_test_${process.pid}_${Date.now()}`
  let pool: pg.Pool

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 25 })
    await pool.query(`create schema ${schema}`)
  })
  afterAll(async () => {
    await pool.query(`drop schema if exists ${schema} cascade`)
    await pool.end()
  })

  runTokenStoreContract(
    'SqlTokenStore (PostgreSQL)',
    async () => {
      const store = new SqlTokenStore(pool, { schema })
      await store.migrate()
      return store
    },
    { describe, it },
  )

  it('should let exactly one of 20 concurrent rotations win on 20 connections, and revoke the family once', async () => {
    const store = new SqlTokenStore(pool, { schema })
    await store.migrate()
    for (let round = 0; round < 3; round++) {
      const first = randomHash()
      const saved = record()
      await store.save(first, saved)
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.rotate(rotation(first, randomHash(), 60_000))),
      )
      const statuses = results.map((result) => result.status)
      expect(statuses.filter((status) => status === 'rotated')).toHaveLength(1)
      expect(statuses.filter((status) => status === 'reused')).toHaveLength(19)
      expect(results.filter((result) => result.status === 'reused' && result.revokedFamily)).toHaveLength(1)
      const { rows } = await pool.query(`select revoked from ${schema}.keel_auth_sessions where id = $1`, [
        saved.family,
      ])
      expect(rows).toEqual([{ revoked: true }])
    }
  })

  it('should let exactly one of two instances win a concurrent refresh and keep revocations across a restart', async () => {
    const a = await buildApp({ store: new SqlTokenStore(pool, { schema }) })
    const b = await buildApp({ store: new SqlTokenStore(pool, { schema }) })
    let winner: TokenPair
    try {
      const pair = await a.tokens.issue({ sub: 'user-pg', roles: [] })
      const results = await Promise.allSettled([a.tokens.rotate(pair.refreshToken), b.tokens.rotate(pair.refreshToken)])
      const fulfilled = results.filter((result) => result.status === 'fulfilled')
      expect(fulfilled).toHaveLength(1)
      const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
      expect(rejected.reason).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
      winner = (fulfilled[0] as PromiseFulfilledResult<TokenPair>).value
      await b.tokens.revokeAll('user-pg')
    } finally {
      await a.close()
      await b.close()
    }
    // A new instance (a restart of every process) still refuses them: nothing lived only in memory.
    const c = await buildApp({ store: new SqlTokenStore(pool, { schema }) })
    try {
      const res = await c.inject({ url: '/me', headers: bearer(winner.accessToken) })
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_REVOKED' })
      await expect(c.tokens.rotate(winner.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
    } finally {
      await c.close()
    }
  })
})
