// The `example` scenario: the example app (examples/user-api), compiled (bundled by esbuild with the bench child,
// keel from the built package; no tsx), on PostgreSQL + Redis when KEEL_TEST_DATABASE_URL and KEEL_TEST_REDIS_URL (or
// DATABASE_URL and REDIS_URL) are set, else on embedded PGlite in a temp dir. It answers the authenticated
// GET /users/me: token verify, a session-store read (Redis or memory), one SQL query. The harness offers a fixed
// rate (see bench/run.mjs) instead of a closed loop, to compare with the KPI (p95 under 20 ms at 3,000 req/s).
// Each run uses its own schema and Redis key prefix, removed on close; the shared services are never flushed.
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deleteKeys } from '../test/helpers/redis.js'
import type { BenchServer } from './servers.js'

const EMAIL = 'bench@example.test'
const PASSWORD = 'bench-password-1'

interface Storage {
  readonly label: string
  readonly env: Record<string, string>
  cleanup(): Promise<void>
}

async function postgresStorage(databaseUrl: string, redisUrl: string): Promise<Storage> {
  const [{ default: pg }, { Redis }] = await Promise.all([import('pg'), import('ioredis')])
  const schema = `keel_bench_${randomUUID().replaceAll('-', '')}`
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const url = new URL(databaseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const prefix = `keel-bench:${randomUUID()}:`
  return {
    label: 'PostgreSQL + Redis',
    env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix },
    async cleanup() {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await client.end()
      const redis = new Redis(redisUrl)
      try {
        await deleteKeys(redis, prefix)
      } finally {
        redis.disconnect()
      }
    },
  }
}

async function pgliteStorage(): Promise<Storage> {
  const dir = await mkdtemp(join(tmpdir(), 'keel-bench-example-'))
  return {
    label: 'PGlite',
    env: { KEEL_DATA_DIR: dir, REDIS_PREFIX: `keel-bench:${randomUUID()}:` },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** The example app with a registered user; the load generator sends that user's access token. */
export async function exampleServer(): Promise<BenchServer> {
  const databaseUrl = process.env.KEEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL
  const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? process.env.REDIS_URL
  const storage =
    databaseUrl !== undefined && redisUrl !== undefined
      ? await postgresStorage(databaseUrl, redisUrl)
      : await pgliteStorage()
  const [{ buildApp }, { loadConfig }] = await Promise.all([
    import('../examples/user-api/src/app.js'),
    import('../examples/user-api/src/config.js'),
  ])
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
    CURSOR_SECRET: 'bench-cursor-secret-0123456789abcdef0123456789',
    // The offered load is 3,000 req/s from one client IP: the app's per-IP limit is raised so it never answers 429.
    RATE_LIMIT_MAX: '1000000000',
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...storage.env,
  })
  const app = await buildApp(config, { logger: false })
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const registered = await app.inject({
      method: 'POST',
      url: '/auth/register',
      payload: { email: EMAIL, name: 'Bench User', password: PASSWORD },
    })
    if (registered.statusCode !== 201) throw new Error(`register: ${registered.statusCode} ${registered.body}`)
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: EMAIL, password: PASSWORD },
    })
    if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`)
    const { accessToken } = login.json<{ accessToken: string }>()
    return {
      path: '/users/me',
      headers: { authorization: `Bearer ${accessToken}` },
      label: storage.label,
      offeredRate: 3000,
      listen: async () => (app.server.address() as AddressInfo).port,
      async close() {
        await app.close()
        await storage.cleanup()
      },
    }
  } catch (error) {
    await app.close()
    await storage.cleanup()
    throw error
  }
}
