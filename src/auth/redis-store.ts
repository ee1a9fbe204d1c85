import { optionsReader } from '../internal/options.js'
import { type Script, scripts } from './redis-scripts.js'
import { RevocationCache } from './revocation-cache.js'
import type {
  KeelSession,
  KeelSessionMetadata,
  RefreshTokenRecord,
  RotateRequest,
  RotateResult,
  TokenStore,
} from './token-store.js'

/**
 * The part of a Redis client {@link RedisTokenStore} uses: `eval` and `evalsha` as in ioredis
 * (`eval(script, numKeys, ...keysAndArgs)`). An ioredis `Redis` or `Cluster` fits.
 */
export interface RedisScriptClient {
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
  /** Plain `GET`, used for the per-request not-before lookup when present (ioredis has it); else a script. */
  get?(key: string): Promise<string | null>
  /**
   * Plain `MGET`, used for the per-request session check of session-bound access tokens when present (ioredis
   * has it); else a script.
   */
  mget?(...keys: string[]): Promise<Array<string | null>>
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
   * How long (ms) `authenticate` may answer its revocation check (the subject's not-before time, and the
   * session's state with session-bound access tokens) from a local cache instead of a Redis round trip. The
   * default `0` asks Redis on every authenticated request (one O(1) `GET`, or one `MGET` when session-bound), so
   * `revokeAll`, a logout or an ended session on any instance refuses the access tokens concerned on every
   * instance from the next request on. A value above 0 saves that round trip but lets other instances accept
   * them for up to this long (this instance's own revocations update its cache at once). Milliseconds or a
   * string.
   * @default 0
   */
  revocationCacheTtl?: number | string
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
  readonly #mget: ((...keys: string[]) => Promise<Array<string | null>>) | undefined
  readonly #cache: RevocationCache

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
    const o = read.object('RedisTokenStore', options, ['prefix', 'revocationCacheTtl'])
    this.#redis = redis
    this.#get = typeof redis.get === 'function' ? redis.get.bind(redis) : undefined
    this.#mget = typeof redis.mget === 'function' ? redis.mget.bind(redis) : undefined
    this.#prefix = read.string('RedisTokenStore.prefix', o.prefix, 'keel:auth:', { allowEmpty: true })
    this.#cache = new RevocationCache(
      read.duration('RedisTokenStore.revocationCacheTtl', o.revocationCacheTtl, 0, { min: 0 }),
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
        String(Math.min(record.expiresAt, record.sessionExpiresAt)),
        String(record.sessionExpiresAt),
        JSON.stringify(record.metadata),
        String(Date.now()),
      ],
    )
  }

  async rotate(request: RotateRequest): Promise<RotateResult> {
    const { hash, nextHash, now, nextExpiresAt, grace } = request
    const result = await this.#run(
      scripts.rotate,
      [`${this.#prefix}t:${hash}`, `${this.#prefix}t:${nextHash}`],
      [this.#prefix, String(now), String(nextExpiresAt), grace?.sealedNext ?? '', String(grace?.until ?? 0)],
    )
    if (!Array.isArray(result) || typeof result[0] !== 'string') throw new TypeError('Unexpected reply from Redis')
    const reply = result as string[]
    switch (reply[0]) {
      case 'rotated':
        return { status: 'rotated', record: recordOf(reply) }
      case 'graced':
        return { status: 'graced', record: recordOf(reply), sealedNext: reply[8]!, nextExpiresAt: Number(reply[9]) }
      case 'reused':
        this.#cache.rememberSession(reply[1]!, false, Date.now())
        return { status: 'reused', family: reply[1]!, sub: reply[2]!, revokedFamily: reply[3] === '1' }
      case 'unknown':
      case 'revoked':
      case 'expired':
        return { status: reply[0] }
      default:
        throw new TypeError('Unexpected reply from Redis')
    }
  }

  async revokeFamily(hash: string, sub?: string): Promise<boolean> {
    const sid = await this.#run(scripts.revokeFamily, [`${this.#prefix}t:${hash}`], [this.#prefix, sub ?? ''])
    if (typeof sid !== 'string') return false
    this.#cache.rememberSession(sid, false, Date.now())
    return true
  }

  async revokeSession(sub: string, sid: string, now: number): Promise<boolean> {
    const ended = await this.#run(scripts.revokeSession, [], [this.#prefix, sub, sid, String(now)])
    if (ended === 1) this.#cache.rememberSession(sid, false, Date.now())
    return ended === 1
  }

  async listSessions(sub: string, now: number, limit: number): Promise<KeelSession[]> {
    const reply = await this.#run(scripts.listSessions, [], [this.#prefix, sub, String(now), String(limit)])
    if (!Array.isArray(reply)) throw new TypeError('Unexpected reply from Redis')
    const sessions: KeelSession[] = []
    for (let i = 0; i + 4 < reply.length; i += 5) {
      sessions.push({
        id: String(reply[i]),
        createdAt: Number(reply[i + 1]),
        lastUsedAt: Number(reply[i + 2]),
        expiresAt: Number(reply[i + 3]),
        metadata: JSON.parse(String(reply[i + 4])) as KeelSessionMetadata,
      })
    }
    return sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt)
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    await this.#run(scripts.revokeSubject, [`${this.#prefix}s:${sub}`], [String(notBefore), Math.ceil(ttlMs)])
    this.#cache.rememberNotBefore(sub, notBefore, Date.now())
  }

  getNotBefore(sub: string): number | undefined | Promise<number | undefined> {
    const cached = this.#cache.notBefore(sub, Date.now())
    return cached === null ? this.#fetchNotBefore(sub) : cached
  }

  checkSession(sub: string, sid: string, issuedAt: number, now: number): boolean | Promise<boolean> {
    const notBefore = this.#cache.notBefore(sub, now)
    const live = this.#cache.session(sid, now)
    if (notBefore === null || live === null) return this.#fetchSession(sub, sid, issuedAt)
    return live && (notBefore === undefined || issuedAt >= notBefore)
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
    if (this.#get === undefined) raw = (await this.#mgetKeys([key]))[0]
    else {
      this.#checkConnection()
      raw = await this.#get(key)
    }
    const value = typeof raw === 'string' ? Number(raw) : undefined
    this.#cache.rememberNotBefore(sub, value, fetchedAt)
    return value
  }

  async #fetchSession(sub: string, sid: string, issuedAt: number): Promise<boolean> {
    const fetchedAt = Date.now()
    const [rawNotBefore, state] = await this.#mgetKeys([`${this.#prefix}s:${sub}`, `${this.#prefix}f:${sid}`])
    const notBefore = typeof rawNotBefore === 'string' ? Number(rawNotBefore) : undefined
    const mark = activeMark(state)
    // A session of another subject is no answer about this token's session: not cached.
    if (mark !== undefined && mark.sub !== sub) return false
    const live = mark !== undefined && (notBefore === undefined || mark.createdAt >= notBefore)
    this.#cache.rememberNotBefore(sub, notBefore, fetchedAt)
    this.#cache.rememberSession(sid, live, fetchedAt)
    return live && (notBefore === undefined || issuedAt >= notBefore)
  }

  /** `MGET` in one round trip: the client's own when it has one, else a script. */
  async #mgetKeys(keys: string[]): Promise<unknown[]> {
    let reply: unknown
    if (this.#mget === undefined) reply = await this.#run(scripts.mget, keys, [])
    else {
      this.#checkConnection()
      reply = await this.#mget(...keys)
    }
    if (!Array.isArray(reply)) throw new TypeError('Unexpected reply from Redis')
    return reply
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

/**
 * The creation time and subject of an active session mark (`f:<sid>` = `a:<created>:<sub>`), else undefined. An
 * active mark lives exactly as long as the session's newest token, never past the session's end.
 */
function activeMark(state: unknown): { readonly createdAt: number; readonly sub: string } | undefined {
  if (typeof state !== 'string' || !state.startsWith('a:')) return undefined
  const colon = state.indexOf(':', 2)
  if (colon === -1) return undefined
  return { createdAt: Number(state.slice(2, colon)), sub: state.slice(colon + 1) }
}

/** The record of a `rotated` / `graced` reply: status, sid, sub, claims, created, expiry, session end, metadata. */
function recordOf(reply: readonly string[]): RefreshTokenRecord {
  return {
    family: reply[1]!,
    sub: reply[2]!,
    claims: JSON.parse(reply[3]!) as Record<string, unknown>,
    familyIssuedAt: Number(reply[4]),
    expiresAt: Number(reply[5]),
    sessionExpiresAt: Number(reply[6]),
    metadata: JSON.parse(reply[7]!) as KeelSessionMetadata,
  }
}
