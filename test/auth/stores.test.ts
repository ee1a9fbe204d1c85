import { execFile } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { MemoryTokenStore, RedisTokenStore, type RefreshTokenRecord, runTokenStoreContract } from 'fastify-keel/auth'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeWithRedis } from '../helpers/services.js'
import { audience, bearer, buildApp, deleteKeys, hsSecret, issuer } from './fixtures.js'

/** A random token hash, shaped like the ones keelAuth passes (SHA-256, base64url). */
function randomHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url')
}

function record(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    family: randomUUID(),
    sub: 'u',
    claims: {},
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

runTokenStoreContract('MemoryTokenStore', () => new MemoryTokenStore(), { describe, it })

/** Runs test/auth/node-test/contract.ts with `node --test`; resolves its exit code and TAP output. */
function runWithNodeTest(env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const args = ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/auth/node-test/contract.ts']
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr })
    })
  })
}

describe('auth', () => {
  describe('runTokenStoreContract', () => {
    it('should run on node:test with its describe, it and after', async () => {
      const { code, output } = await runWithNodeTest()
      expect({ code, pass: /^# pass (\d+)$/m.exec(output)?.[1], fail: /^# fail (\d+)$/m.exec(output)?.[1] }).toEqual({
        code: 0,
        pass: '30',
        fail: '0',
      })
    })

    it('should fail on node:test for a store that does not detect reuse', async () => {
      const { code, output } = await runWithNodeTest({ KEEL_CONTRACT_BROKEN: '1' })
      expect(code).not.toBe(0)
      expect(output).toMatch(/not ok \d+ - should detect reuse of a rotated token and revoke its whole family/)
    })

    it('should refuse a teardown without afterAll or after', () => {
      expect(() =>
        runTokenStoreContract(
          'x',
          () => new MemoryTokenStore(),
          { describe, it },
          () => {},
        ),
      ).toThrow(TypeError)
    })
  })
})

describe('auth', () => {
  describe('MemoryTokenStore', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('should stay within maxTokens by dropping the oldest records', async () => {
      const store = new MemoryTokenStore({ maxTokens: 3 })
      const hashes = [randomHash(), randomHash(), randomHash(), randomHash(), randomHash()]
      for (const hash of hashes) await store.save(hash, record())
      expect(store.size).toBe(3)
      expect((await store.rotate(rotation(hashes[0]!, randomHash(), 1000))).status).toBe('unknown')
      expect((await store.rotate(rotation(hashes[4]!, randomHash(), 1000))).status).toBe('rotated')
    })

    it('should keep tokens and families bounded by maxTokens when every save is a new family', async () => {
      const store = new MemoryTokenStore({ maxTokens: 1000 })
      const started = performance.now()
      for (let i = 0; i < 40_000; i++) {
        await store.save(randomHash(), record())
        if (i % 5000 === 4999)
          expect({ size: store.size, families: store.familyCount }).toEqual({ size: 1000, families: 1000 })
      }
      // Evicting the oldest entry is O(1): 40 000 saves past the cap took 24 s when each one swept everything.
      expect(performance.now() - started).toBeLessThan(5000)
    }, 30_000)

    it('should keep a family while any of its tokens is held, and forget it with the last one', async () => {
      const store = new MemoryTokenStore({ maxTokens: 3 })
      const [first, second, third] = [randomHash(), randomHash(), randomHash()]
      const family = randomUUID()
      await store.save(first, record({ family }))
      await store.rotate(rotation(first, second, 60_000))
      await store.rotate(rotation(second, third, 60_000))
      expect({ size: store.size, families: store.familyCount }).toEqual({ size: 3, families: 1 })
      // Two new families push out the two used tokens; the family lives on in its newest token.
      await store.save(randomHash(), record())
      await store.save(randomHash(), record())
      expect({ size: store.size, families: store.familyCount }).toEqual({ size: 3, families: 3 })
      expect((await store.rotate(rotation(third, randomHash(), 60_000))).status).toBe('rotated')
      // Its last tokens pushed out too: the family is forgotten.
      for (let i = 0; i < 3; i++) await store.save(randomHash(), record())
      expect({ size: store.size, families: store.familyCount }).toEqual({ size: 3, families: 3 })
    })

    it('should keep a revoked family revoked while any of its tokens is held', async () => {
      const store = new MemoryTokenStore({ maxTokens: 3 })
      const [first, second, third] = [randomHash(), randomHash(), randomHash()]
      await store.save(first, record())
      await store.rotate(rotation(first, second, 60_000))
      await store.rotate(rotation(first, third, 60_000)) // reuse: the family is revoked
      // The used token is pushed out; the revocation stays with the family's live token.
      await store.save(randomHash(), record())
      await store.save(randomHash(), record())
      expect((await store.rotate(rotation(first, randomHash(), 60_000))).status).toBe('unknown')
      expect((await store.rotate(rotation(second, randomHash(), 60_000))).status).toBe('revoked')
    })

    it('should accept no token of a revoked family after its tokens are all evicted', async () => {
      const store = new MemoryTokenStore({ maxTokens: 2 })
      const [first, second] = [randomHash(), randomHash()]
      await store.save(first, record())
      await store.rotate(rotation(first, second, 60_000))
      expect(await store.revokeFamily(second)).toBe(true)
      await store.save(randomHash(), record())
      await store.save(randomHash(), record())
      expect(store.familyCount).toBe(2)
      // The family is forgotten, and so is every token of it: each answers unknown (a 401), never rotated.
      for (const hash of [first, second]) {
        expect((await store.rotate(rotation(hash, randomHash(), 60_000))).status).toBe('unknown')
      }
    })

    it('should reclaim expired tokens and families without reaching the cap', async () => {
      vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] })
      const store = new MemoryTokenStore()
      for (let i = 0; i < 500; i++) await store.save(randomHash(), record({ expiresAt: Date.now() + 1000 }))
      vi.setSystemTime(Date.now() + 2000)
      for (let i = 0; i < 500; i++) await store.save(randomHash(), record())
      expect({ size: store.size, families: store.familyCount }).toEqual({ size: 500, families: 500 })
    })

    it('should keep not-before marks bounded by maxSubjects', async () => {
      const store = new MemoryTokenStore({ maxSubjects: 100 })
      for (let i = 0; i < 10_000; i++) await store.revokeSubject(`user-${i}`, Date.now(), 60_000)
      expect(store.subjectCount).toBe(100)
    })

    it('should keep rejecting older tokens of a subject whose not-before mark was evicted', async () => {
      const store = new MemoryTokenStore({ maxSubjects: 2 })
      const before = Date.now()
      const old = randomHash()
      await store.save(old, record({ sub: 'victim', familyIssuedAt: before - 1 }))
      await store.revokeSubject('victim', before, 60_000)
      await store.revokeSubject('a', before + 1, 60_000)
      await store.revokeSubject('b', before + 2, 60_000)
      expect(store.subjectCount).toBe(2)
      // The mark is gone but its time is a floor: the victim's older access and refresh tokens stay revoked…
      expect(store.getNotBefore('victim')).toBe(before)
      expect((await store.rotate(rotation(old, randomHash(), 60_000))).status).toBe('revoked')
      // …while marks still held win when they are later.
      expect(store.getNotBefore('b')).toBe(before + 2)
    })

    it('should drop the not-before floor when the evicted mark expires', async () => {
      vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] })
      const store = new MemoryTokenStore({ maxSubjects: 1 })
      await store.revokeSubject('victim', Date.now(), 1000)
      await store.revokeSubject('other', Date.now(), 60_000)
      expect(store.getNotBefore('someone')).toBeDefined()
      vi.setSystemTime(Date.now() + 2000)
      expect(store.getNotBefore('someone')).toBeUndefined()
    })

    it.each([
      ['maxTokens 0', { maxTokens: 0 }],
      ['a fractional maxTokens', { maxTokens: 1.5 }],
      ['maxSubjects 0', { maxSubjects: 0 }],
      ['a string maxSubjects', { maxSubjects: '10' as never }],
    ])('should reject %s', (_name, options) => {
      expect(() => new MemoryTokenStore(options)).toThrow(
        expect.objectContaining({ code: 'KEEL_ERR_AUTH_INVALID_STORE' }),
      )
    })
  })
})

describeWithRedis('auth: RedisTokenStore', (url) => {
  const prefix = `keel-test:auth:${randomUUID()}:`
  let redis: Redis

  beforeAll(() => {
    redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  })
  afterAll(async () => {
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  // The contract runs with the not-before cache off, so every answer comes from Redis itself.
  runTokenStoreContract('RedisTokenStore', () => new RedisTokenStore(redis, { prefix, revocationCacheTtl: 0 }), {
    describe,
    it,
  })

  it('should set a TTL on every key it writes', async () => {
    const own = `${prefix}ttl:`
    const store = new RedisTokenStore(redis, { prefix: own })
    const [first, second, third] = [randomHash(), randomHash(), randomHash()]
    await store.save(first, record({ family: 'f1', sub: 'user-ttl' }))
    await store.rotate(rotation(first, second, 60_000))
    await store.rotate(rotation(first, third, 60_000)) // reuse: marks the family revoked
    await store.revokeSubject('user-ttl', Date.now(), 60_000)
    const keys = await redis.keys(`${own}*`)
    // The session's index entry went with the reuse; its mark, its record, both tokens and the subject mark stay.
    expect(keys.sort()).toEqual(
      [`${own}f:f1`, `${own}m:f1`, `${own}s:user-ttl`, `${own}t:${first}`, `${own}t:${second}`].sort(),
    )
    for (const key of keys) {
      const ttl = await redis.pttl(key)
      expect({ key, positive: ttl > 0 && ttl <= 60_000 }).toEqual({ key, positive: true })
    }
  })

  it('should load its scripts again after SCRIPT FLUSH-like loss (NOSCRIPT fallback)', async () => {
    const calls: string[] = []
    const client = {
      evalsha: async () => {
        calls.push('evalsha')
        throw new Error('NOSCRIPT No matching script. Please use EVAL.')
      },
      eval: (script: string, numKeys: number, ...args: Array<string | number>) => {
        calls.push('eval')
        return redis.eval(script, numKeys, ...args)
      },
    }
    const store = new RedisTokenStore(client, { prefix: `${prefix}noscript:`, revocationCacheTtl: 0 })
    expect(await store.getNotBefore('nobody')).toBeUndefined()
    expect(calls).toEqual(['evalsha', 'eval'])
  })

  it('should answer the not-before time from its cache within revocationCacheTtl', async () => {
    const own = `${prefix}cache:`
    const writer = new RedisTokenStore(redis, { prefix: own, revocationCacheTtl: 0 })
    const cached = new RedisTokenStore(redis, { prefix: own, revocationCacheTtl: 60_000 })
    expect(await cached.getNotBefore('user-c')).toBeUndefined()
    const at = Date.now()
    await writer.revokeSubject('user-c', at, 60_000)
    // Another instance's revokeAll is seen once the cache entry is older than revocationCacheTtl…
    expect(cached.getNotBefore('user-c')).toBeUndefined()
    // …while the writer's own view is immediate.
    expect(await writer.getNotBefore('user-c')).toBe(at)
    await cached.revokeSubject('user-c', at + 1, 60_000)
    expect(cached.getNotBefore('user-c')).toBe(at + 1)
  })

  /** A Redis client that records the commands the store sends. */
  function recordingClient(calls: string[]) {
    return {
      eval: (script: string, numKeys: number, ...args: Array<string | number>) => {
        calls.push('eval')
        return redis.eval(script, numKeys, ...args)
      },
      evalsha: (sha: string, numKeys: number, ...args: Array<string | number>) => {
        calls.push('evalsha')
        return redis.evalsha(sha, numKeys, ...args)
      },
      get: (key: string) => {
        calls.push(`get ${key}`)
        return redis.get(key)
      },
      mget: (...keys: string[]) => {
        calls.push(`mget ${keys.join(' ')}`)
        return redis.mget(...keys)
      },
    }
  }

  it('should ask Redis for the not-before time with one GET per request with stateless access tokens', async () => {
    const own = `${prefix}get:`
    const calls: string[] = []
    const store = new RedisTokenStore(recordingClient(calls), { prefix: own })
    const app = await buildApp({ store, accessTokens: 'stateless' })
    try {
      const { accessToken } = await app.tokens.issue({ sub: 'user-g', roles: [] })
      calls.length = 0
      for (let i = 0; i < 3; i++)
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
      expect(calls).toEqual(Array(3).fill(`get ${own}s:user-g`))
    } finally {
      await app.close()
    }
  })

  it('should check the session with one MGET per request with session-bound access tokens (the default)', async () => {
    const own = `${prefix}mget:`
    const calls: string[] = []
    const app = await buildApp({ store: new RedisTokenStore(recordingClient(calls), { prefix: own }) })
    try {
      const { accessToken, sessionId } = await app.tokens.issue({ sub: 'user-m', roles: [] })
      calls.length = 0
      for (let i = 0; i < 3; i++)
        expect((await app.inject({ url: '/me', headers: bearer(accessToken) })).statusCode).toBe(200)
      expect(calls).toEqual(Array(3).fill(`mget ${own}s:user-m ${own}f:${sessionId}`))
    } finally {
      await app.close()
    }
  })

  it('should refuse a negative revocationCacheTtl', () => {
    expect(() => new RedisTokenStore(redis, { revocationCacheTtl: -1 })).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_AUTH_INVALID_STORE' }),
    )
  })

  it('should reject a client without eval/evalsha', () => {
    expect(() => new RedisTokenStore({} as never)).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_AUTH_INVALID_STORE' }),
    )
  })

  describe('two instances sharing one store', () => {
    it('should detect a token rotated on instance A and replayed on instance B as reuse', async () => {
      const own = `${prefix}pair:`
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      const b = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      try {
        const pair = await a.tokens.issue({ sub: 'user-ab', roles: [] })
        const next = await a.tokens.rotate(pair.refreshToken)
        await expect(b.tokens.rotate(pair.refreshToken)).rejects.toMatchObject({
          statusCode: 401,
          code: 'REFRESH_TOKEN_REUSED',
        })
        // The family is dead on both instances.
        await expect(a.tokens.rotate(next.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
      } finally {
        await a.close()
        await b.close()
      }
    })

    it('should let exactly one of two concurrent rotations on A and B win', async () => {
      const own = `${prefix}race:`
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      const b = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      try {
        const pair = await a.tokens.issue({ sub: 'user-race', roles: [] })
        const results = await Promise.allSettled([
          a.tokens.rotate(pair.refreshToken),
          b.tokens.rotate(pair.refreshToken),
        ])
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
        const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult
        expect(rejected.reason).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' })
      } finally {
        await a.close()
        await b.close()
      }
    })

    it('should reject older access tokens on B right after revokeAll on A with the default options', async () => {
      const own = `${prefix}revoke:`
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      const b = await buildApp({ store: new RedisTokenStore(redis, { prefix: own }) })
      try {
        const old = await a.tokens.issue({ sub: 'user-rv', roles: [] })
        expect((await b.inject({ url: '/me', headers: bearer(old.accessToken) })).statusCode).toBe(200)
        await a.tokens.revokeAll('user-rv')
        const res = await b.inject({ url: '/me', headers: bearer(old.accessToken) })
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'TOKEN_REVOKED' })
        await expect(b.tokens.rotate(old.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REVOKED' })
        const fresh = await b.tokens.issue({ sub: 'user-rv', roles: [] })
        expect((await a.inject({ url: '/me', headers: bearer(fresh.accessToken) })).statusCode).toBe(200)
      } finally {
        await a.close()
        await b.close()
      }
    })

    it('should reject older access tokens on the instance that called revokeAll within one request (cache on)', async () => {
      const own = `${prefix}revoke-cached:`
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own, revocationCacheTtl: 60_000 }) })
      try {
        const old = await a.tokens.issue({ sub: 'user-rc', roles: [] })
        expect((await a.inject({ url: '/me', headers: bearer(old.accessToken) })).statusCode).toBe(200)
        await a.tokens.revokeAll('user-rc')
        expect((await a.inject({ url: '/me', headers: bearer(old.accessToken) })).json().code).toBe('TOKEN_REVOKED')
      } finally {
        await a.close()
      }
    })
  })

  it('should use keys under its prefix only', async () => {
    const own = `${prefix}only:`
    const app = await buildApp({
      secret: hsSecret,
      issuer,
      audience,
      store: new RedisTokenStore(redis, { prefix: own }),
    })
    try {
      await app.tokens.issue({ sub: 'user-p', roles: [] })
      const keys = await redis.keys(`${own}*`)
      // The token, the session's mark and record, the subject's session index.
      expect(keys.length).toBe(4)
      expect(keys.every((key) => key.startsWith(own))).toBe(true)
    } finally {
      await app.close()
    }
  })
})
