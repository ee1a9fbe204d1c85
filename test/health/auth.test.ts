import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { keelAuth } from 'fastify-keel/auth'
import { keelHealth } from 'fastify-keel/health'
import { afterEach, describe, expect, it } from 'vitest'

const apps: FastifyInstance[] = []

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function build(): Promise<FastifyInstance> {
  const app = Fastify()
  apps.push(app)
  await app.register(keelAuth, {
    secret: randomBytes(32).toString('base64url'),
    issuer: 'https://api.test',
    audience: 'test-api',
  })
  await app.register(keelHealth, { underPressure: false })
  app.health.addCheck('database', async () => {})
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => request.user)
  return app
}

describe('health', () => {
  describe('with keelAuth', () => {
    it('should answer the probes without a token while a protected route answers 401', async () => {
      const app = await build()
      expect((await app.inject('/me')).statusCode).toBe(401)
      const live = await app.inject('/health/live')
      const ready = await app.inject('/health/ready')
      expect({ live: live.statusCode, ready: ready.statusCode }).toEqual({ live: 200, ready: 200 })
      expect(ready.json()).toMatchObject({ status: 'pass' })
    })

    it('should answer the probes with an invalid token', async () => {
      const app = await build()
      const headers = { authorization: 'Bearer not-a-token' }
      expect((await app.inject({ url: '/me', headers })).statusCode).toBe(401)
      expect((await app.inject({ url: '/health/live', headers })).statusCode).toBe(200)
      expect((await app.inject({ url: '/health/ready', headers })).statusCode).toBe(200)
    })
  })
})
