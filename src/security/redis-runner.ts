// Every Redis call of the security plugin: one Lua script per call, sent by digest (EVALSHA) so a request costs one
// round trip, with a bounded wait, and failures logged once a minute rather than once per request.
import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { KeelRedisClient } from './rate-limit-options.js'

/** A Lua script and its SHA-1 digest, computed once. */
export interface LuaScript {
  readonly source: string
  readonly sha: string
}

/** Declares a script (at module load). */
export function luaScript(source: string): LuaScript {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') })
}

// ioredis states in which a command would only wait in the offline queue: fail at once instead.
const downStates: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end'])
const errorLogInterval = 60_000

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

/**
 * Runs scripts on one client. A call that Redis does not answer within `timeout` ms rejects; the first failure of
 * each minute is logged at `error` (`KEEL_SECURITY_STORE_FAILED`), and one `info` line when Redis answers again.
 */
export class RedisRunner {
  #failing = false
  #lastErrorLog = 0

  constructor(
    private readonly client: KeelRedisClient,
    private readonly timeout: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Runs `script` with `keys` and `args`; rejects with the cause when Redis fails, is down or is too slow. */
  run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const status = this.client.status
    if (status !== undefined && downStates.has(status)) {
      return Promise.reject(this.#failed(new Error(`Redis connection is ${status}`)))
    }
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(this.#failed(new Error(`Redis did not answer within ${this.timeout} ms`)))
      }, this.timeout)
      timer.unref()
      this.#send(script, keys, args).then(
        (reply) => {
          clearTimeout(timer)
          if (this.#failing) {
            this.#failing = false
            this.log.info({ code: 'KEEL_SECURITY_STORE_RECOVERED' }, 'fastify-keel/security: Redis answers again')
          }
          resolve(reply)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(this.#failed(error))
        },
      )
    })
  }

  /** Records an answer Redis gave but the caller cannot read, like a failed call. */
  unreadable(reply: unknown): Error {
    return this.#failed(new Error(`unexpected reply from a Redis rate-limit script: ${typeof reply}`))
  }

  #send(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const client = this.client
    if (client.evalsha === undefined) return client.eval(script.source, keys.length, ...keys, ...args)
    // Redis forgets scripts on restart (and a new replica never saw them): the first call after that sends it.
    return client
      .evalsha(script.sha, keys.length, ...keys, ...args)
      .catch((error: unknown) =>
        isNoScript(error) ? client.eval(script.source, keys.length, ...keys, ...args) : Promise.reject(error),
      )
  }

  #failed(cause: unknown): Error {
    this.#failing = true
    const now = Date.now()
    if (now - this.#lastErrorLog >= errorLogInterval) {
      this.#lastErrorLog = now
      this.log.error(
        { err: cause, code: 'KEEL_SECURITY_STORE_FAILED' },
        'fastify-keel/security: rate-limit store (Redis) failed; next errors are muted for 60 s',
      )
    }
    return cause instanceof Error ? cause : new Error(String(cause))
  }
}
