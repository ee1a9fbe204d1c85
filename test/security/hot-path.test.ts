// The in-memory limiter's promise: a check costs no promise (issue 20 measures the rest). Counted with an
// async hook around requests that differ only in their rate limits.
import { createHook } from 'node:async_hooks'
import Fastify from 'fastify'
import { type KeelRateLimitOptions, keelSecurity } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'

async function promisesPerRequest(rateLimit: KeelRateLimitOptions | false): Promise<number> {
  const app = Fastify()
  await app.register(keelSecurity, { rateLimit, cors: false })
  app.get('/items', (_request, reply) => {
    reply.send('ok')
  })
  await app.ready()
  for (let i = 0; i < 20; i++) await app.inject('/items') // warm: first-call work is not per request
  let promises = 0
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++
    },
  }).enable()
  try {
    for (let i = 0; i < 100; i++) await app.inject('/items')
  } finally {
    hook.disable()
    await app.close()
  }
  return promises / 100
}

describe('security', () => {
  describe('hot path', () => {
    it.each<[string, KeelRateLimitOptions]>([
      ['the default policy', {}],
      [
        'three policies, fixed and sliding, with a key generator',
        {
          policies: [
            { name: 'burst', algorithm: 'sliding', timeWindow: '1 s' },
            { name: 'hourly', timeWindow: '1 hour' },
            { name: 'per-key', keyGenerator: (request) => request.headers.host },
          ],
        },
      ],
    ])('should create no promise per request for %s in memory', async (_name, rateLimit) => {
      const baseline = await promisesPerRequest(false)
      expect(await promisesPerRequest(rateLimit)).toBe(baseline)
    })
  })
})
