// Sessions end to end, on every store keel ships, with two app instances sharing one store: listing and ending
// sessions, session-bound access tokens refused on the other instance from the next request on, the grace
// window under concurrency, and the absolute session lifetime.
import { randomUUID } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import type { FastifyInstance } from 'fastify'
import {
  type KeelAuthOptions,
  MemoryTokenStore,
  RedisTokenStore,
  SqlTokenStore,
  type TokenPair,
  type TokenStore,
} from 'fastify-keel/auth'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { describeWithDatabase, describeWithRedis } from '../helpers/services.js'
import { bearer, buildApp, deleteKeys } from './fixtures.js'

/** Makes the store of one app instance; every call shares the same data. */
type StoreFactory = () => TokenStore | Promise<TokenStore>

const laptop = { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ip: '203.0.113.9', device: 'laptop' }

async function me(app: FastifyInstance, pair: TokenPair) {
  const res = await app.inject({ url: '/me', headers: bearer(pair.accessToken) })
  return res.statusCode === 200 ? 200 : (res.json().code as string)
}

/**
 * The fake clock of every test here: Date only, two hours later for each test, so it never runs backwards (keel's
 * clock never does: a token issued after another is newer, whatever a fake clock says).
 */
let clock = Date.now()

function sessionSuite(makeStore: StoreFactory): void {
  const apps: FastifyInstance[] = []
  /** Two instances of one app: the same store data, each its own store object (and caches). */
  async function instances(options: Partial<KeelAuthOptions> = {}) {
    const a = await buildApp({ ...options, store: await makeStore() })
    const b = await buildApp({ ...options, store: await makeStore() })
    apps.push(a, b)
    return [a, b] as const
  }
  const user = () => `user-${randomUUID()}`

  beforeEach(() => {
    clock += 2 * 3_600_000
    vi.useFakeTimers({ now: clock, toFake: ['Date'] })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })

  it('should list the sessions of a user with their metadata, most recently used first', async () => {
    const [a, b] = await instances()
    const sub = user()
    const first = await a.tokens.issue({ sub, roles: [] }, { metadata: { ...laptop, userAgent: 'x'.repeat(300) } })
    const second = await b.tokens.issue({ sub, roles: [] }, { metadata: { device: 'phone' } })
    await a.tokens.issue({ sub: user(), roles: [] })
    const sessions = await b.tokens.sessions(sub)
    expect(sessions.map((session) => session.id)).toEqual([second.sessionId, first.sessionId])
    expect(sessions[1]).toEqual({
      id: first.sessionId,
      createdAt: expect.any(Number),
      lastUsedAt: expect.any(Number),
      expiresAt: expect.any(Number),
      // Bounded: the user agent is cut to 256 characters.
      metadata: { ...laptop, userAgent: 'x'.repeat(256) },
    })
    const [listed] = sessions
    expect(listed!.expiresAt - listed!.createdAt).toBe(90 * 86_400_000)
    // A refresh a second later is a use: the first session moves to the front.
    vi.setSystemTime(Date.now() + 1000)
    await b.tokens.rotate(first.refreshToken)
    expect((await a.tokens.sessions(sub)).map((session) => session.id)).toEqual([first.sessionId, second.sessionId])
  })

  it('should end one session on instance A and refuse its tokens on instance B from the next request on', async () => {
    const [a, b] = await instances()
    const sub = user()
    const ended = await a.tokens.issue({ sub, roles: [] })
    const kept = await a.tokens.issue({ sub, roles: [] })
    expect(await me(b, ended)).toBe(200)
    expect(await a.tokens.endSession(sub, ended.sessionId)).toBe(true)
    expect(await me(b, ended)).toBe('TOKEN_REVOKED')
    await expect(b.tokens.rotate(ended.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
    expect(await me(b, kept)).toBe(200)
    expect((await b.tokens.sessions(sub)).map((session) => session.id)).toEqual([kept.sessionId])
    // Ended already, or another user's: nothing to end, and the other session goes on.
    expect(await b.tokens.endSession(sub, ended.sessionId)).toBe(false)
    expect(await b.tokens.endSession(user(), kept.sessionId)).toBe(false)
    expect(await b.tokens.endSession(sub, 'not a session id')).toBe(false)
    expect(await me(a, kept)).toBe(200)
  })

  it('should refuse the access token on instance B within one request after logout on A', async () => {
    const [a, b] = await instances()
    const pair = await a.tokens.issue({ sub: user(), roles: [] })
    expect(await me(b, pair)).toBe(200)
    expect(await a.tokens.revoke(pair.refreshToken)).toBe(true)
    expect(await me(b, pair)).toBe('TOKEN_REVOKED')
  })

  it('should keep accepting it until its exp with stateless access tokens', async () => {
    const [a, b] = await instances({ accessTokens: 'stateless' })
    const pair = await a.tokens.issue({ sub: user(), roles: [] })
    await a.tokens.revoke(pair.refreshToken)
    expect(await me(b, pair)).toBe(200)
  })

  it('should refuse the access tokens of a session revoked by reuse detection, on every instance', async () => {
    const [a, b] = await instances()
    const first = await a.tokens.issue({ sub: user(), roles: [] })
    const second = await a.tokens.rotate(first.refreshToken)
    await expect(b.tokens.rotate(first.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
    expect(await me(a, second)).toBe('TOKEN_REVOKED')
    expect(await me(b, first)).toBe('TOKEN_REVOKED')
  })

  it('should answer ten concurrent rotations on two instances within the grace window with one new pair', async () => {
    const [a, b] = await instances({ refreshGraceWindow: '10s' })
    const sub = user()
    const pair = await a.tokens.issue({ sub, roles: [] })
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).tokens.rotate(pair.refreshToken)),
    )
    expect(new Set(results.map((result) => result.refreshToken)).size).toBe(1)
    expect(new Set(results.map((result) => result.sessionId))).toEqual(new Set([pair.sessionId]))
    // A fresh access token for each caller, every one of them valid.
    expect(new Set(results.map((result) => result.accessToken)).size).toBe(10)
    for (const result of results) expect(await me(b, result)).toBe(200)
    // No second family member, no reuse: one session, and the shared successor rotates.
    expect((await b.tokens.sessions(sub)).map((session) => session.id)).toEqual([pair.sessionId])
    await expect(a.tokens.rotate(results[0]!.refreshToken)).resolves.toMatchObject({ sessionId: pair.sessionId })
  })

  it('should treat a rotation after the grace window as reuse', async () => {
    const [a, b] = await instances({ refreshGraceWindow: '10s' })
    const pair = await a.tokens.issue({ sub: user(), roles: [] })
    const next = await a.tokens.rotate(pair.refreshToken)
    vi.setSystemTime(Date.now() + 9_000)
    await expect(b.tokens.rotate(pair.refreshToken)).resolves.toMatchObject({ refreshToken: next.refreshToken })
    vi.setSystemTime(Date.now() + 1_001)
    await expect(b.tokens.rotate(pair.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
    await expect(a.tokens.rotate(next.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
  })

  it('should end a session at sessionMaxAge however often it rotates, and say when in every answer', async () => {
    const minute = 60_000
    const [a, b] = await instances({ sessionMaxAge: '1h', refreshTokenTtl: '30m', accessTokenTtl: '15m' })
    const sub = user()
    const first = await a.tokens.issue({ sub, roles: [] })
    expect(first).toMatchObject({ expiresIn: 900, refreshTokenExpiresIn: 1800, sessionExpiresIn: 3600 })
    const end = (await b.tokens.sessions(sub))[0]!.expiresAt
    vi.setSystemTime(end - 35 * minute)
    const second = await b.tokens.rotate(first.refreshToken)
    expect(second).toMatchObject({ expiresIn: 900, refreshTokenExpiresIn: 1800, sessionExpiresIn: 2100 })
    vi.setSystemTime(end - 10 * minute)
    // Ten minutes left: neither token may outlive the session.
    const third = await a.tokens.rotate(second.refreshToken)
    expect(third).toMatchObject({ expiresIn: 600, refreshTokenExpiresIn: 600, sessionExpiresIn: 600 })
    expect(await me(b, third)).toBe(200)
    // Past the end and the 5 s clockTolerance.
    vi.setSystemTime(end + 10_000)
    await expect(b.tokens.rotate(third.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_EXPIRED' })
    expect(await me(b, third)).toBe('TOKEN_EXPIRED')
    expect(await a.tokens.sessions(sub)).toEqual([])
  })
}

describe('auth: sessions on MemoryTokenStore', () => {
  const store = new MemoryTokenStore()
  sessionSuite(() => store)
})

describe('auth: sessions on SqlTokenStore (PGlite)', () => {
  const db = new PGlite()
  let migrated: Promise<void> | undefined
  afterAll(() => db.close())
  sessionSuite(async () => {
    const store = new SqlTokenStore(db)
    migrated ??= store.migrate()
    await migrated
    return store
  })
})

describeWithRedis('auth: sessions on RedisTokenStore', (url) => {
  const prefix = `keel-test:sessions:${randomUUID()}:`
  let redis: Redis
  beforeAll(() => {
    redis = new Redis(url, { maxRetriesPerRequest: 1 })
  })
  afterAll(async () => {
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })
  sessionSuite(() => new RedisTokenStore(redis, { prefix }))
})

describeWithDatabase('auth: sessions on SqlTokenStore (PostgreSQL)', (url) => {
  const schema = `keel_sessions_test_${process.pid}_${Date.now()}`
  let pool: pg.Pool
  let migrated: Promise<void> | undefined
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 12 })
    await pool.query(`create schema ${schema}`)
  })
  afterAll(async () => {
    await pool.query(`drop schema if exists ${schema} cascade`)
    await pool.end()
  })
  sessionSuite(async () => {
    const store = new SqlTokenStore(pool, { schema })
    migrated ??= store.migrate()
    await migrated
    return store
  })
})
