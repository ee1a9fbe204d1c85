import { createHash } from 'node:crypto'
import { optionsReader } from '../internal/options.js'
import { NotBeforeCache } from './not-before-cache.js'
import type { RefreshTokenRecord, RotateResult, TokenStore } from './token-store.js'

/**
 * The part of a Redis client {@link RedisTokenStore} uses: `eval` and `evalsha` as in ioredis
 * (`eval(script, numKeys, ...keysAndArgs)`). An ioredis `Redis` or `Cluster` fits.
 */
export interface RedisScriptClient {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  /** Plain `GET`, used for the per-request not-before lookup when present (ioredis has it); else a script. */
  get?(key: string): Promise<string | null>
  /** `PING`, used by `app.tokens.checkStore()` when present (ioredis has it); else a script. */
  ping?(): Promise<unknown>
  /**
   * ioredis's connection state. While it is `reconnecting`, `close` or `end`, calls fail at once instead of
   * waiting in ioredis's offline queue for the timeout.
   */
  readonly status?: string
}

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * Prefix of every key the store writes. On Redis Cluster wrap it in braces (`'{auth}:'`) so all keys
   * share one hash slot, which the Lua scripts need.
   * @default 'keel:auth:'
   */
  prefix?: string
  /**
   * How long (ms) `authenticate` may answer a subject's not-before time from a local cache instead of a
   * Redis round trip. The default `0` asks Redis on every authenticated request (one O(1) `GET`), so
   * `revokeAll` on any instance rejects older access tokens on every instance from the next request on.
   * A value above 0 saves that round trip but lets other instances accept a revoked access token for up
   * to this long (`revokeAll` on this instance updates its own cache at once). Milliseconds or a string.
   * @default 0
   */
  notBeforeCacheTtl?: number | string
}

// Keys: <p>t:<hash> token hash {f family, s sub, c claims JSON, i familyIssuedAt, e expiresAt, u used}
//       <p>f:<family> 'a' (active) | 'r' (revoked)
//       <p>s:<sub> not-before time (ms)
// Every key gets a TTL; a family key lives as long as its newest token.

const saveScript = `
redis.call('HSET', KEYS[1], 'f', ARGV[2], 's', ARGV[3], 'c', ARGV[4], 'i', ARGV[5], 'e', ARGV[6], 'u', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[7])
local fkey = ARGV[1] .. 'f:' .. ARGV[2]
if redis.call('GET', fkey) == 'r' then
  redis.call('PEXPIRE', fkey, ARGV[7])
else
  redis.call('SET', fkey, 'a', 'PX', ARGV[7])
end
return 1`

const markRevoked = `
local function revoke(fkey, ttl)
  local pttl = redis.call('PTTL', fkey)
  if pttl < tonumber(ttl) then pttl = ttl end
  redis.call('SET', fkey, 'r', 'PX', pttl)
end`

const rotateScript = `${markRevoked}
local t = redis.call('HMGET', KEYS[1], 'f', 's', 'c', 'i', 'e', 'u')
if not t[1] then return {'unknown'} end
local fkey = ARGV[1] .. 'f:' .. t[1]
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
if t[6] == '1' then
  local first = redis.call('GET', fkey) ~= 'r'
  revoke(fkey, ttl)
  return {'reused', t[1], t[2], first and '1' or '0'}
end
if redis.call('GET', fkey) == 'r' then return {'revoked'} end
local nb = redis.call('GET', ARGV[1] .. 's:' .. t[2])
if nb and tonumber(t[4]) < tonumber(nb) then return {'revoked'} end
if tonumber(t[5]) <= tonumber(ARGV[2]) then return {'expired'} end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('HSET', KEYS[2], 'f', t[1], 's', t[2], 'c', t[3], 'i', t[4], 'e', ARGV[3], 'u', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if redis.call('PTTL', fkey) < tonumber(ARGV[4]) then redis.call('SET', fkey, 'a', 'PX', ARGV[4]) end
return {'rotated', t[1], t[2], t[3], t[4], t[5]}`

const revokeFamilyScript = `${markRevoked}
local t = redis.call('HMGET', KEYS[1], 'f', 's')
local f = t[1]
if not f then return 0 end
if ARGV[2] ~= '' and t[2] ~= ARGV[2] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
revoke(ARGV[1] .. 'f:' .. f, ttl)
return 1`

const revokeSubjectScript = `
local current = redis.call('GET', KEYS[1])
local ttl = tonumber(ARGV[2])
local pttl = redis.call('PTTL', KEYS[1])
if pttl > ttl then ttl = pttl end
if current and tonumber(current) > tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
end
return 1`

interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

const scripts = {
  save: script(saveScript),
  rotate: script(rotateScript),
  revokeFamily: script(revokeFamilyScript),
  revokeSubject: script(revokeSubjectScript),
  getNotBefore: script(`return redis.call('GET', KEYS[1])`),
  ping: script('return 1'),
}

// ioredis states in which a command would only wait in the offline queue.
const DOWN_STATES: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end'])
const read = optionsReader('auth', 'KEEL_ERR_AUTH_INVALID_STORE')

/**
 * A {@link TokenStore} in Redis, shared by every instance of your API. Rotation, reuse detection and
 * revocation are single Lua scripts (atomic), and every key has a TTL. Works with ioredis.
 *
 * @example
 * import { Redis } from 'ioredis'
 * const store = new RedisTokenStore(new Redis(process.env.REDIS_URL), { prefix: 'myapp:auth:' })
 * await app.register(keelAuth, { secret, issuer, audience, store })
 * @see docs/auth.md#store
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: RedisScriptClient
  readonly #prefix: string
  readonly #get: ((key: string) => Promise<string | null>) | undefined
  readonly #notBefore: NotBeforeCache

  constructor(redis: RedisScriptClient, options: RedisTokenStoreOptions = {}) {
    if (
      typeof redis !== 'object' ||
      redis === null ||
      typeof redis.eval !== 'function' ||
      typeof redis.evalsha !== 'function'
    ) {
      throw read.misuse(
        'KEEL_ERR_AUTH_INVALID_STORE',
        'RedisTokenStore needs a Redis client with eval() and evalsha()',
        'pass an ioredis Redis or Cluster instance',
      )
    }
    const o = read.object('RedisTokenStore', options, ['prefix', 'notBeforeCacheTtl'])
    this.#redis = redis
    this.#get = typeof redis.get === 'function' ? redis.get.bind(redis) : undefined
    this.#prefix = read.string('RedisTokenStore.prefix', o.prefix, 'keel:auth:', { allowEmpty: true })
    this.#notBefore = new NotBeforeCache(
      read.duration('RedisTokenStore.notBeforeCacheTtl', o.notBeforeCacheTtl, 0, { min: 0 }),
    )
  }

  async save(hash: string, record: RefreshTokenRecord): Promise<void> {
    await this.#run(
      scripts.save,
      [`${this.#prefix}t:${hash}`],
      [
        this.#prefix,
        record.family,
        record.sub,
        JSON.stringify(record.claims),
        String(record.familyIssuedAt),
        String(record.expiresAt),
        ttlFrom(record.expiresAt),
      ],
    )
  }

  async rotate(hash: string, nextHash: string, now: number, nextExpiresAt: number): Promise<RotateResult> {
    const result = await this.#run(
      scripts.rotate,
      [`${this.#prefix}t:${hash}`, `${this.#prefix}t:${nextHash}`],
      [this.#prefix, String(now), String(nextExpiresAt), ttlFrom(nextExpiresAt)],
    )
    if (!Array.isArray(result) || typeof result[0] !== 'string') throw new TypeError('Unexpected reply from Redis')
    if (result[0] === 'reused') {
      const [, family, sub, first] = result as string[]
      return { status: 'reused', family: family!, sub: sub!, revokedFamily: first === '1' }
    }
    const [status, family, sub, claims, familyIssuedAt, expiresAt] = result as string[]
    if (status === 'rotated') {
      return {
        status,
        record: {
          family: family!,
          sub: sub!,
          claims: JSON.parse(claims!) as Record<string, unknown>,
          familyIssuedAt: Number(familyIssuedAt),
          expiresAt: Number(expiresAt),
        },
      }
    }
    if (status === 'unknown' || status === 'revoked' || status === 'expired') return { status }
    throw new TypeError('Unexpected reply from Redis')
  }

  async revokeFamily(hash: string, sub?: string): Promise<boolean> {
    const result = await this.#run(scripts.revokeFamily, [`${this.#prefix}t:${hash}`], [this.#prefix, sub ?? ''])
    return result === 1
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    await this.#run(scripts.revokeSubject, [`${this.#prefix}s:${sub}`], [String(notBefore), Math.ceil(ttlMs)])
    this.#notBefore.remember(sub, notBefore, Date.now())
  }

  getNotBefore(sub: string): number | undefined | Promise<number | undefined> {
    const cached = this.#notBefore.get(sub, Date.now())
    return cached === null ? this.#fetchNotBefore(sub) : cached
  }

  async ping(): Promise<void> {
    this.#checkConnection()
    if (typeof this.#redis.ping === 'function') await this.#redis.ping()
    else await this.#run(scripts.ping, [], [])
  }

  async #fetchNotBefore(sub: string): Promise<number | undefined> {
    const fetchedAt = Date.now()
    const key = `${this.#prefix}s:${sub}`
    let raw: unknown
    if (this.#get === undefined) raw = await this.#run(scripts.getNotBefore, [key], [])
    else {
      this.#checkConnection()
      raw = await this.#get(key)
    }
    const value = typeof raw === 'string' ? Number(raw) : undefined
    this.#notBefore.remember(sub, value, fetchedAt)
    return value
  }

  #checkConnection(): void {
    const status = this.#redis.status
    if (status !== undefined && DOWN_STATES.has(status)) throw new Error(`Redis connection is ${status}`)
  }

  async #run(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    this.#checkConnection()
    try {
      return await this.#redis.evalsha(s.sha, keys.length, ...keys, ...args)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return this.#redis.eval(s.source, keys.length, ...keys, ...args)
    }
  }
}

function ttlFrom(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt - Date.now()))
}
