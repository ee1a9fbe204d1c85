import type { FastifyBaseLogger } from 'fastify'
import { HttpError } from '../errors/index.js'
import type { KeelRedisClient } from './options.js'

/** A counter value: hits in the current window and milliseconds until the window resets. */
export interface CounterState {
  current: number
  ttl: number
}

// INCR and the window's expiry in one atomic step. ARGV: window ms, '1' to restart the window on every hit
// over the limit (rate-limit's continueExceeding), limit.
const incrementScript = `local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 or (ARGV[2] == '1' and current > tonumber(ARGV[3])) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`

// Gives one hit back, only while the window's key still exists (a DECR on an expired key would create a
// counter without expiry); the key goes when nothing is left. Returns the state like the others.
const decrementScript = `if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local current = redis.call('DECR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current <= 0 then
  redis.call('DEL', KEYS[1])
  return {0, 0}
end
if ttl < 0 then ttl = 0 end
return {current, ttl}`

const readScript = `local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}`

// ioredis states in which a command would only wait in the offline queue: fail at once instead.
const downStates: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end'])
const errorLogInterval = 60_000

function toState(reply: unknown): CounterState {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new Error('unexpected reply from Redis rate-limit script')
  }
  return { current: reply[0], ttl: reply[1] }
}

/**
 * Counters in Redis with a bounded wait: a call that Redis does not answer within `timeout` ms fails, and
 * failures are logged once per minute (with one line when Redis answers again), never per request.
 */
export class RedisCounters {
  #failing = false
  #lastErrorLog = 0

  constructor(
    private readonly client: KeelRedisClient,
    private readonly timeout: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Adds one hit to `key` and returns the window state. */
  increment(key: string, windowMs: number, max: number, restartWhenExceeded: boolean): Promise<CounterState> {
    return this.#run(incrementScript, key, [windowMs, restartWhenExceeded ? '1' : '0', max])
  }

  /** Takes one hit back from `key` (never below zero, never on an expired window). */
  decrement(key: string): Promise<CounterState> {
    return this.#run(decrementScript, key, [])
  }

  /** The state of `key` without adding a hit. */
  read(key: string): Promise<CounterState> {
    return this.#run(readScript, key, [])
  }

  #run(script: string, key: string, args: (string | number)[]): Promise<CounterState> {
    const status = this.client.status
    if (status !== undefined && downStates.has(status)) {
      return Promise.reject(this.#failed(new Error(`Redis connection is ${status}`)))
    }
    return new Promise<CounterState>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(this.#failed(new Error(`Redis did not answer within ${this.timeout} ms`)))
      }, this.timeout)
      timer.unref()
      this.client.eval(script, 1, key, ...args).then(
        (reply) => {
          clearTimeout(timer)
          if (this.#failing) {
            this.#failing = false
            this.log.info({ code: 'KEEL_SECURITY_STORE_RECOVERED' }, 'fastify-keel/security: Redis answers again')
          }
          try {
            resolve(toState(reply))
          } catch (error) {
            reject(this.#failed(error))
          }
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(this.#failed(error))
        },
      )
    })
  }

  #failed(cause: unknown): HttpError {
    this.#failing = true
    const now = Date.now()
    if (now - this.#lastErrorLog >= errorLogInterval) {
      this.#lastErrorLog = now
      this.log.error(
        { err: cause, code: 'KEEL_SECURITY_STORE_FAILED' },
        'fastify-keel/security: rate-limit store (Redis) failed; next errors are muted for 60 s',
      )
    }
    return new HttpError(503, 'Rate limiting is unavailable', { code: 'RATE_LIMIT_UNAVAILABLE', cause })
  }
}

type StoreCallback = (error: Error | null, result?: CounterState) => void

/**
 * The key under which a route's own limit counts, passed by keel in the options of `rateLimit(options)` (which
 * hands the store an empty `routeInfo`), so each route with its own `config.rateLimit` keeps its own counters.
 */
export const kRouteKey: unique symbol = Symbol('fastify-keel.security.routeKey')

interface StoreParams {
  continueExceeding?: boolean
  [kRouteKey]?: string
}

/** The slice of `@fastify/rate-limit`'s store contract that keel implements. */
export interface RateLimitStore {
  incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void
  read(key: string, callback: StoreCallback): void
  child(params: StoreParams): RateLimitStore
}

/** A `@fastify/rate-limit` store class backed by {@link RedisCounters}, keys under `nameSpace`. */
export function redisRateLimitStore(
  counters: RedisCounters,
  nameSpace: string,
): new (
  params: StoreParams,
) => RateLimitStore {
  class KeelRedisRateLimitStore implements RateLimitStore {
    readonly #prefix: string
    readonly #restartWhenExceeded: boolean

    constructor(params: StoreParams, prefix = nameSpace) {
      this.#prefix = prefix
      this.#restartWhenExceeded = params.continueExceeding === true
    }

    incr(key: string, callback: StoreCallback, timeWindow: number, max: number): void {
      counters.increment(this.#prefix + key, timeWindow, max, this.#restartWhenExceeded).then(
        (state) => callback(null, state),
        (error: Error) => callback(error),
      )
    }

    read(key: string, callback: StoreCallback): void {
      counters.read(this.#prefix + key).then(
        (state) => callback(null, state),
        (error: Error) => callback(error),
      )
    }

    child(params: StoreParams): RateLimitStore {
      return new KeelRedisRateLimitStore(params, `${this.#prefix}${params[kRouteKey] ?? ''}:`)
    }
  }
  return KeelRedisRateLimitStore
}

/** A failure count, and whether it was counted in this instance's memory because Redis was down. */
export interface FailureCount extends CounterState {
  fallback: boolean
}

/**
 * Where attempts on a failure-limited route are counted. An attempt is taken atomically before the handler
 * runs (so a burst of parallel attempts cannot all pass a read-only check) and given back when its response
 * turns out not to be a failure.
 */
export interface FailureStore {
  /** Counts one attempt and returns the new count (the window starts at the first one). */
  take(key: string, windowMs: number): Promise<FailureCount>
  /** Gives one attempt back to the store that counted it (`fallback` from {@link FailureStore.take}). */
  giveBack(key: string, fallback: boolean): Promise<void>
}

/**
 * Failure counts in Redis, shared by every instance. While Redis fails, and `fallback` is given, attempts are
 * counted in `fallback` (this instance's memory) instead: a failure limit never becomes unlimited because its
 * store is down. One warning when counting moves to memory, one info line when Redis answers again. Without
 * `fallback` a Redis failure rejects (the route answers 503).
 */
export function redisFailureStore(
  counters: RedisCounters,
  log: FastifyBaseLogger,
  fallback: FailureStore | undefined,
): FailureStore {
  let local = false
  return {
    async take(key, windowMs) {
      let state: CounterState
      try {
        state = await counters.increment(key, windowMs, Number.MAX_SAFE_INTEGER, false)
      } catch (error) {
        if (fallback === undefined) throw error
        if (!local) {
          local = true
          log.warn(
            { code: 'KEEL_SECURITY_FAILURE_LIMIT_LOCAL' },
            "fastify-keel/security: Redis is down; failure limits count in this instance's memory until it answers again",
          )
        }
        return fallback.take(key, windowMs)
      }
      if (local) {
        local = false
        log.info(
          { code: 'KEEL_SECURITY_FAILURE_LIMIT_SHARED' },
          'fastify-keel/security: failure limits count in Redis again',
        )
      }
      return { current: state.current, ttl: state.ttl, fallback: false }
    },
    async giveBack(key, usedFallback) {
      if (usedFallback) await fallback?.giveBack(key, true)
      else await counters.decrement(key)
    },
  }
}

/**
 * Failure counts in this process: a Map with expiry, capped at `capacity` keys (oldest dropped first). Its
 * counts are marked `fallback` (they belong to this instance only).
 */
export function memoryFailureStore(capacity = 10_000): FailureStore {
  const entries = new Map<string, { count: number; resetAt: number }>()
  return {
    take: async (key, windowMs) => {
      const now = Date.now()
      const entry = entries.get(key)
      if (entry !== undefined && entry.resetAt > now) {
        entry.count += 1
        return { current: entry.count, ttl: entry.resetAt - now, fallback: true }
      }
      entries.delete(key)
      if (entries.size >= capacity) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(key, { count: 1, resetAt: now + windowMs })
      return { current: 1, ttl: windowMs, fallback: true }
    },
    giveBack: async (key) => {
      const entry = entries.get(key)
      if (entry === undefined) return
      entry.count -= 1
      if (entry.count <= 0 || entry.resetAt <= Date.now()) entries.delete(key)
    },
  }
}
