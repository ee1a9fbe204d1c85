import Fastify from 'fastify'
import { keelSecurity } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'

describe('security', () => {
  describe('app.corsPolicy', () => {
    it.each([
      [
        'the allowed origins and credentials',
        { origins: ['https://app.example.com'], credentials: true },
        { origins: new Set(['https://app.example.com']), credentials: true },
      ],
      ["'*' for a public API", { origins: '*' as const }, { origins: '*', credentials: false }],
      ['no origin with cors: false', false as const, { origins: new Set(), credentials: false }],
      ['no origin by default', undefined, { origins: new Set(), credentials: false }],
    ])('should expose %s', async (_name, cors, policy) => {
      const app = Fastify()
      await app.register(keelSecurity, { rateLimit: false, ...(cors === undefined ? {} : { cors }) })
      try {
        expect(app.corsPolicy).toEqual(policy)
        expect(Object.isFrozen(app.corsPolicy)).toBe(true)
      } finally {
        await app.close()
      }
    })

    it('should be a copy: changing it changes nothing CORS allows', async () => {
      const app = Fastify()
      await app.register(keelSecurity, { rateLimit: false, cors: { origins: ['https://app.example.com'] } })
      app.get('/', async () => 'ok')
      try {
        ;(app.corsPolicy.origins as Set<string>).add('https://evil.example')
        const res = await app.inject({ url: '/', headers: { origin: 'https://evil.example' } })
        expect(res.headers['access-control-allow-origin']).toBeUndefined()
      } finally {
        await app.close()
      }
    })
  })
})
