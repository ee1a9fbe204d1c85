import { randomUUID } from 'node:crypto'
import { MemoryTokenStore, RedisTokenStore } from 'fastify-keel/auth'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithRedis } from '../helpers/services.js'
import { audience, bearer, buildApp, deleteKeys, hsSecret, issuer } from './fixtures.js'
import { randomHash, runTokenStoreContract } from './store-contract.js'

runTokenStoreContract('MemoryTokenStore', () => new MemoryTokenStore())

describe('auth', () => {
  describe('MemoryTokenStore', () => {
    it('should stay within maxTokens by dropping the oldest records', async () => {
      const store = new MemoryTokenStore({ maxTokens: 3 })
      const hashes = [randomHash(), randomHash(), randomHash(), randomHash(), randomHash()]
      for (const hash of hashes) {
        await store.save(hash, {
          family: randomUUID(),
          sub: 'u',
          claims: {},
          familyIssuedAt: Date.now(),
          expiresAt: Date.now() + 60_000,
        })
      }
      expect(store.size).toBe(3)
      expect((await store.rotate(hashes[0]!, randomHash(), Date.now(), Date.now() + 1000)).status).toBe('unknown')
      expect((await store.rotate(hashes[4]!, randomHash(), Date.now(), Date.now() + 1000)).status).toBe('rotated')
    })

    it('should reject a bad maxTokens', () => {
      expect(() => new MemoryTokenStore({ maxTokens: 0 })).toThrow(
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
  runTokenStoreContract('RedisTokenStore', () => new RedisTokenStore(redis, { prefix, notBeforeCacheTtl: 0 }))

  it('should set a TTL on every key it writes', async () => {
    const own = `${prefix}ttl:`
    const store = new RedisTokenStore(redis, { prefix: own })
    const [first, second, third] = [randomHash(), randomHash(), randomHash()]
    await store.save(first, {
      family: 'f1',
      sub: 'user-ttl',
      claims: {},
      familyIssuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    })
    await store.rotate(first, second, Date.now(), Date.now() + 60_000)
    await store.rotate(first, third, Date.now(), Date.now() + 60_000) // reuse: marks the family revoked
    await store.revokeSubject('user-ttl', Date.now(), 60_000)
    const keys = await redis.keys(`${own}*`)
    expect(keys.sort()).toEqual([`${own}f:f1`, `${own}s:user-ttl`, `${own}t:${first}`, `${own}t:${second}`].sort())
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
    const store = new RedisTokenStore(client, { prefix: `${prefix}noscript:`, notBeforeCacheTtl: 0 })
    expect(await store.getNotBefore('nobody')).toBeUndefined()
    expect(calls).toEqual(['evalsha', 'eval'])
  })

  it('should answer the not-before time from its cache within notBeforeCacheTtl', async () => {
    const own = `${prefix}cache:`
    const writer = new RedisTokenStore(redis, { prefix: own, notBeforeCacheTtl: 0 })
    const cached = new RedisTokenStore(redis, { prefix: own, notBeforeCacheTtl: 60_000 })
    expect(await cached.getNotBefore('user-c')).toBeUndefined()
    const at = Date.now()
    await writer.revokeSubject('user-c', at, 60_000)
    // Another instance's revokeAll is seen once the cache entry is older than notBeforeCacheTtl…
    expect(cached.getNotBefore('user-c')).toBeUndefined()
    // …while the writer's own view is immediate.
    expect(await writer.getNotBefore('user-c')).toBe(at)
    await cached.revokeSubject('user-c', at + 1, 60_000)
    expect(cached.getNotBefore('user-c')).toBe(at + 1)
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

    it('should reject older access tokens on B right after revokeAll on A when the cache is off', async () => {
      const own = `${prefix}revoke:`
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own, notBeforeCacheTtl: 0 }) })
      const b = await buildApp({ store: new RedisTokenStore(redis, { prefix: own, notBeforeCacheTtl: 0 }) })
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
      const a = await buildApp({ store: new RedisTokenStore(redis, { prefix: own, notBeforeCacheTtl: 60_000 }) })
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
      expect(keys.length).toBe(2)
      expect(keys.every((key) => key.startsWith(own))).toBe(true)
    } finally {
      await app.close()
    }
  })
})
