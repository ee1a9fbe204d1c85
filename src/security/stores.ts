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
            this.log.info('keelSecurity: rate-limit store (Redis) answers again')
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
      this.log.error({ err: cause }, 'keelSecurity: rate-limit store (Redis) failed; next errors are muted for 60 s')
    }
    return new HttpError(503, 'Rate limiting is unavailable', { code: 'RATE_LIMIT_UNAVAILABLE', cause })
  }
}

type StoreCallback = (error: Error | null, result?: CounterState) => void

interface StoreParams {
  continueExceeding?: boolean
  routeInfo?: { method?: string | string[]; url?: string }
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
      const method = String(params.routeInfo?.method ?? '')
      return new KeelRedisRateLimitStore(params, `${this.#prefix}${method}${params.routeInfo?.url ?? ''}:`)
    }
  }
  return KeelRedisRateLimitStore
}

/** Where failed attempts are counted. */
export interface FailureStore {
  read(key: string): Promise<CounterState>
  fail(key: string, windowMs: number): Promise<void>
}

/** Failure counts in Redis (shared by every instance). */
export function redisFailureStore(counters: RedisCounters): FailureStore {
  return {
    read: (key) => counters.read(key),
    fail: async (key, windowMs) => {
      await counters.increment(key, windowMs, Number.MAX_SAFE_INTEGER, false)
    },
  }
}

/** Failure counts in this process: a Map with expiry, capped at `capacity` keys (oldest dropped first). */
export function memoryFailureStore(capacity = 10_000): FailureStore {
  const entries = new Map<string, { count: number; resetAt: number }>()
  return {
    read: async (key) => {
      const entry = entries.get(key)
      const now = Date.now()
      if (entry === undefined || entry.resetAt <= now) return { current: 0, ttl: 0 }
      return { current: entry.count, ttl: entry.resetAt - now }
    },
    fail: async (key, windowMs) => {
      const now = Date.now()
      const entry = entries.get(key)
      if (entry !== undefined && entry.resetAt > now) {
        entry.count += 1
        return
      }
      entries.delete(key)
      if (entries.size >= capacity) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(key, { count: 1, resetAt: now + windowMs })
    },
  }
}
