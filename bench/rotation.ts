// Refresh-token rotation throughput: `app.tokens.rotate` called in a loop by several concurrent
// "sessions" (each rotates its own token chain, as real clients do), in-process, no HTTP.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import type { KeelTokens, TokenStore } from 'fastify-keel/auth'
import { Redis } from 'ioredis'
import { SECRET, SkipScenario } from './servers.js'

/** Concurrent rotation chains. */
const SESSIONS = 16

/** What a rotation run reports back to the harness. */
export interface RotationResult {
  ops: number
  seconds: number
  p50: number
  p99: number
}

/** A prepared rotation benchmark: run it for some seconds, then close it. */
export interface RotationBench {
  run(seconds: number): Promise<RotationResult>
  close(): Promise<void>
}

/** The Redis URL the rotation bench uses. */
export const redisUrl = process.env.KEEL_TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379'

async function connectRedis(): Promise<Redis> {
  const client = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return client
  } catch (error) {
    client.disconnect()
    const message = error instanceof Error ? error.message : String(error)
    throw new SkipScenario(`Redis unreachable at ${redisUrl} (${message}); set KEEL_TEST_REDIS_URL or REDIS_URL`)
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

async function prepare(store: TokenStore | undefined): Promise<{ app: FastifyInstance; tokens: KeelTokens }> {
  const { keelAuth } = await import('fastify-keel/auth')
  const app = Fastify({ logger: false })
  await app.register(keelAuth, {
    secret: SECRET,
    issuer: 'https://bench.example',
    audience: 'bench',
    ...(store === undefined ? {} : { store }),
  })
  await app.ready()
  return { app, tokens: app.tokens }
}

function bench(tokens: KeelTokens): RotationBench['run'] {
  return async (seconds) => {
    const latencies: number[] = []
    const deadline = performance.now() + seconds * 1000
    const started = performance.now()
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        let pair = await tokens.issue({ sub: `bench-${i}`, roles: ['user'] })
        while (performance.now() < deadline) {
          const t0 = performance.now()
          pair = await tokens.rotate(pair.refreshToken)
          latencies.push(performance.now() - t0)
        }
      }),
    )
    const elapsed = (performance.now() - started) / 1000
    const sorted = Float64Array.from(latencies).sort()
    return { ops: latencies.length, seconds: elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
  }
}

/** Rotation scenarios by name. */
export const rotations: Record<string, () => Promise<RotationBench>> = {
  async 'rotate memory'() {
    const { MemoryTokenStore } = await import('fastify-keel/auth')
    const { app, tokens } = await prepare(new MemoryTokenStore())
    return { run: bench(tokens), close: () => app.close() }
  },

  async 'rotate redis'() {
    const { RedisTokenStore } = await import('fastify-keel/auth')
    const client = await connectRedis()
    const prefix = `keel-bench:${randomUUID()}:`
    const { app, tokens } = await prepare(new RedisTokenStore(client, { prefix }))
    return {
      run: bench(tokens),
      async close() {
        await app.close()
        // Remove only this run's keys.
        let cursor = '0'
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          cursor = next
          if (keys.length > 0) await client.del(...keys)
        } while (cursor !== '0')
        client.disconnect()
      },
    }
  },
}
