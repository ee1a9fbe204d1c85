import type { FastifyBaseLogger } from 'fastify'
import { type LuaScript, luaScript, type RedisRunner } from './redis-runner.js'

/** A counter value: hits in the current window and milliseconds until the window resets. */
export interface CounterState {
  current: number
  ttl: number
}

// INCR and the window's expiry in one atomic step. ARGV: window ms.
const incrementScript = luaScript(`local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`)

// Gives one hit back, only while the window's key still exists (a DECR on an expired key would create a
// counter without expiry); the key goes when nothing is left. Returns the state like the others.
const decrementScript = luaScript(`if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local current = redis.call('DECR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current <= 0 then
  redis.call('DEL', KEYS[1])
  return {0, 0}
end
if ttl < 0 then ttl = 0 end
return {current, ttl}`)

/** Fixed-window counters in Redis (the failure limits' attempts), through a {@link RedisRunner}. */
export class RedisCounters {
  constructor(private readonly runner: RedisRunner) {}

  /** Adds one hit to `key` and returns the window state. */
  increment(key: string, windowMs: number): Promise<CounterState> {
    return this.#run(incrementScript, key, [windowMs])
  }

  /** Takes one hit back from `key` (never below zero, never on an expired window). */
  decrement(key: string): Promise<CounterState> {
    return this.#run(decrementScript, key, [])
  }

  async #run(script: LuaScript, key: string, args: (string | number)[]): Promise<CounterState> {
    const reply = await this.runner.run(script, [key], args)
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw this.runner.unreadable(reply)
    }
    return { current: reply[0], ttl: reply[1] }
  }
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
        state = await counters.increment(key, windowMs)
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
