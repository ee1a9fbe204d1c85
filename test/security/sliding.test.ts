// The sliding window in memory, on a controlled clock: never more than max requests in any timeWindow-long
// interval, where a fixed window lets a client send 2 × max across its edge.
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelRateLimitAlgorithm, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fieldsByName } from './fields.js'

const apps: FastifyInstance[] = []
const start = Date.UTC(2026, 11, 1, 12, 0, 0)
const WINDOW = 1000
const MAX = 10

async function build(algorithm: KeelRateLimitAlgorithm) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelSecurity, { rateLimit: { max: MAX, timeWindow: WINDOW, algorithm } })
  app.get('/items', async () => ({ items: [] }))
  return app
}

/** Sends `count` requests at each time of `schedule` (ms from start) and returns the times of the accepted ones. */
async function accepted(app: FastifyInstance, schedule: ReadonlyArray<readonly [number, number]>): Promise<number[]> {
  const times: number[] = []
  for (const [time, count] of schedule) {
    vi.setSystemTime(start + time)
    for (let i = 0; i < count; i++) if ((await app.inject('/items')).statusCode === 200) times.push(time)
  }
  return times
}

/** The most accepted requests in any closed interval of `WINDOW` ms. */
function busiestWindow(times: readonly number[]): number {
  return Math.max(0, ...times.map((end) => times.filter((time) => time >= end - WINDOW && time <= end).length))
}

// A seeded pseudo-random schedule, so a failure can be replayed: bursts of 1..8 requests at 0..4000 ms.
function schedule(seed: number): Array<[number, number]> {
  let state = seed
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
  const bursts: Array<[number, number]> = []
  for (let time = 0; time < 4000; time += Math.floor(next() * 120)) bursts.push([time, 1 + Math.floor(next() * 8)])
  return bursts
}

// One request at the start of the fixed window, the rest of the quota just before its end, a full quota after.
const edgeBurst: ReadonlyArray<readonly [number, number]> = [
  [0, 1],
  [990, MAX - 1],
  [1010, MAX],
]

afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('sliding window (memory)', () => {
    it('should let a fixed window accept 2 × max - 1 within 20 ms across its edge', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const times = await accepted(await build('fixed'), edgeBurst)
      expect(times.filter((time) => time >= 990)).toHaveLength(2 * MAX - 1)
      expect(busiestWindow(times)).toBe(2 * MAX - 1)
    })

    it('should accept no more than max across the edge of a window', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const times = await accepted(await build('sliding'), edgeBurst)
      expect(times.filter((time) => time >= 990).length).toBeLessThanOrEqual(MAX)
      expect(busiestWindow(times)).toBeLessThanOrEqual(MAX)
    })

    it.each([1, 2, 3, 4, 5])(
      'should never accept more than max in any timeWindow-long interval (schedule %i)',
      async (seed) => {
        vi.useFakeTimers({ toFake: ['Date'], now: start })
        const bursts = schedule(seed)
        const times = await accepted(await build('sliding'), bursts)
        expect(busiestWindow(times)).toBeLessThanOrEqual(MAX)
        // Not a limit that only refuses: over 4 s of steady demand it lets through most of 4 windows' quota.
        expect(times.length).toBeGreaterThanOrEqual(3 * MAX)
      },
    )

    it('should give quota back as the oldest part of the window leaves it, and say when in t', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: start })
      const app = await build('sliding')
      expect((await accepted(app, [[0, MAX]])).length).toBe(MAX)
      vi.setSystemTime(start + 500)
      const refused = await app.inject('/items')
      expect(refused.statusCode).toBe(429)
      // The requests at 0 leave the counted span (this bucket and the 10 before it, 100 ms each) at 1100 ms.
      expect(fieldsByName(refused.headers).limit).toEqual({ default: { r: 0, t: 1 } })
      expect(Number(refused.headers['retry-after'])).toBe(1)
      vi.setSystemTime(start + 1099)
      expect((await app.inject('/items')).statusCode).toBe(429)
      vi.setSystemTime(start + 1100)
      const served = await app.inject('/items')
      expect(served.statusCode).toBe(200)
      expect(fieldsByName(served.headers).limit).toEqual({ default: { r: MAX - 1, t: 2 } })
    })
  })
})
