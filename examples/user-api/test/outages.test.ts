// Dependency outages are 503 problem documents with Retry-After, never 500s, and they reveal nothing: against
// the real PostgreSQL (cut by a fault proxy, or refusing connections) and a private redis-server that the test
// stops and starts again (never the shared one).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, postgresTarget, type Running, startApp, type Target, testConfig } from './harness.js'
import { type FaultProxy, startFaultProxy, throughProxy } from './helpers/fault-proxy.js'
import { describeWithRedisServer, type PrivateRedis, startPrivateRedis } from './helpers/private-redis.js'
import { describeWithDatabase } from './helpers/services.js'

const EMAIL = 'outage@example.test'
const PASSWORD = 'password-123'

function expectUnavailable(response: ApiResponse<unknown>, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(503)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect((response.body as { code?: unknown }).code).toBe(code)
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
}

/** The parts of a problem document that may differ between two requests. */
function comparable(response: ApiResponse<unknown>): unknown {
  const { requestId: _id, ...rest } = response.body as Record<string, unknown>
  return { status: response.status, body: rest, retryAfter: response.headers.get('retry-after') }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describeWithDatabase('example during outages', (databaseUrl) => {
  describeWithRedisServer('with a private Redis and a fault proxy to PostgreSQL', () => {
    let target: Target
    let redis: PrivateRedis
    let proxy: FaultProxy
    let running: Running

    beforeAll(async () => {
      redis = await startPrivateRedis()
      target = await postgresTarget(databaseUrl, redis.url)
      proxy = await startFaultProxy({ host: new URL(databaseUrl).hostname, port: Number(new URL(databaseUrl).port) })
      const storage = target.storage
      running = await startApp(
        testConfig(target, { databaseUrl: throughProxy(storage.databaseUrl ?? '', proxy), redisUrl: redis.url }),
      )
      await running.api.register(EMAIL)
    }, 60_000)

    afterAll(async () => {
      await running?.close()
      await proxy?.close()
      await redis?.start()
      await target?.cleanup()
      await redis?.stop()
    })

    const login = (password: string) => running.api.request('POST', '/auth/login', { body: { email: EMAIL, password } })

    it('should answer a right and a wrong password the same 503 while the token store is down', async () => {
      await redis.stop()
      try {
        const right = await login(PASSWORD)
        const wrong = await login('wrong-password')
        expectUnavailable(right, 'TOKEN_STORE_UNAVAILABLE')
        expect(comparable(wrong)).toEqual(comparable(right))
        expect((await running.api.request('GET', '/health/ready')).status).toBe(503)
      } finally {
        await redis.start()
      }
      await until('login after Redis returns', async () => (await login(PASSWORD)).status === 200)
    })

    it('should answer 503 DATABASE_UNAVAILABLE while PostgreSQL is unreachable, and recover', async () => {
      const { accessToken } = await running.api.login(EMAIL)
      proxy.cut()
      try {
        expectUnavailable(await running.api.request('GET', '/users/me', { token: accessToken }), 'DATABASE_UNAVAILABLE')
        expectUnavailable(await login(PASSWORD), 'DATABASE_UNAVAILABLE')
        expect(comparable(await login('wrong-password'))).toEqual(comparable(await login(PASSWORD)))
        await until('readiness to fail', async () => (await running.api.request('GET', '/health/ready')).status === 503)
      } finally {
        proxy.restore()
      }
      await until(
        '/users/me after PostgreSQL returns',
        async () => (await running.api.request('GET', '/users/me', { token: accessToken })).status === 200,
      )
    })
  })

  describe('on a database that stops accepting connections', () => {
    const name = `keel_example_${randomUUID().replaceAll('-', '')}`
    const admin = new pg.Client({ connectionString: databaseUrl })
    let running: Running | undefined

    beforeAll(async () => {
      await admin.connect()
      await admin.query(`CREATE DATABASE ${name}`)
    }, 30_000)

    afterAll(async () => {
      await running?.close()
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    })

    it('should answer 503 DATABASE_UNAVAILABLE when its backends are terminated and reconnecting is refused', async () => {
      const url = new URL(databaseUrl)
      url.pathname = `/${name}`
      const target: Target = {
        name: 'private database',
        storage: { databaseUrl: url.toString(), dataDir: '', redisUrl: undefined, redisPrefix: 'unused:' },
        cleanup: async () => {},
      }
      running = await startApp(testConfig(target))
      const { accessToken } = await running.api.login('admin@example.test', 'admin-password-1')
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name])
      // The first requests may meet a pooled connection that was just terminated (57P01), later ones the refusal
      // to reconnect (55000): both are outages. Without Redis the token store is in this database too, so an
      // authenticated route fails at its revocation check first.
      for (let i = 0; i < 3; i++) {
        const body = { email: `refused-${i}@example.test`, name: 'Refused', password: PASSWORD }
        expectUnavailable(await running.api.request('POST', '/auth/register', { body }), 'DATABASE_UNAVAILABLE')
        expectUnavailable(
          await running.api.request('GET', '/users/me', { token: accessToken }),
          'TOKEN_STORE_UNAVAILABLE',
        )
      }
    })
  })
})
