// Starts the example app for real (listen on port 0) against a throwaway database, and talks to it with
// fetch. Each target (embedded PGlite, or PostgreSQL + Redis) gets its own data: a temp dir, or a fresh
// schema and Redis key prefix per run, removed afterwards.
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import pg from 'pg'
import { type BuildOptions, buildApp } from '../src/app.js'
import { type AppConfig, loadConfig } from '../src/config.js'

/** Where an app under test keeps its data. */
export interface Target {
  readonly name: string
  /** The config fields that point the app at this target's storage. */
  readonly storage: Pick<AppConfig, 'databaseUrl' | 'dataDir' | 'redisUrl' | 'redisPrefix'>
  /** Removes everything this target created. */
  cleanup(): Promise<void>
}

/** The installed PGlite's version: its `package.json` (not exported) sits above its entry point. */
function installedPgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
}

const pgliteVersion = installedPgliteVersion()

/**
 * An empty, initialised PGlite data dir shared by the test files of one machine. Creating a cluster
 * (initdb) takes seconds, copying one takes milliseconds; each test still gets its own copy. Built in a
 * temp dir and renamed into place, so concurrent test files never see half of it.
 */
async function pgliteTemplate(): Promise<string> {
  const template = join(tmpdir(), `keel-example-pglite-${pgliteVersion}`)
  if (existsSync(join(template, '.complete'))) return template
  const building = await mkdtemp(join(tmpdir(), 'keel-example-pglite-building-'))
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create(building)
  await db.close()
  await writeFile(join(building, '.complete'), '')
  try {
    await rename(building, template)
  } catch {
    // Another test file finished first; use its copy.
    await rm(building, { recursive: true, force: true })
  }
  return template
}

/** A fresh embedded database in a temp dir. */
export async function pgliteTarget(): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'keel-example-'))
  await cp(await pgliteTemplate(), dataDir, { recursive: true })
  return {
    name: 'embedded PGlite',
    storage: { dataDir, databaseUrl: undefined, redisUrl: undefined, redisPrefix: `keel-test:${randomUUID()}:` },
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  }
}

/** A fresh schema on the shared PostgreSQL (selected with `search_path`) and a unique Redis key prefix. */
export async function postgresTarget(databaseUrl: string, redisUrl: string): Promise<Target> {
  const schema = `keel_example_${randomUUID().replaceAll('-', '')}`
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const url = new URL(databaseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const redisPrefix = `keel-test:${randomUUID()}:`
  return {
    name: 'PostgreSQL + Redis',
    storage: { databaseUrl: url.toString(), dataDir: '', redisUrl, redisPrefix },
    async cleanup() {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await client.end()
      const redis = new Redis(redisUrl)
      try {
        let cursor = '0'
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500)
          if (keys.length > 0) await redis.del(...keys)
          cursor = next
        } while (cursor !== '0')
      } finally {
        redis.disconnect()
      }
    },
  }
}

export const ADMIN = { email: 'admin@example.test', password: 'admin-password-1' } as const

/**
 * A config for tests: cheap password hashing (PASSWORD_HASH_COST is for tests only), a global rate limit
 * high enough for the suite, a small login limit, no load shedding, silent logs, and a fixed JWT secret so
 * two instances accept each other's tokens.
 */
export function testConfig(target: Target, overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    ...loadConfig({
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
      CURSOR_SECRET: 'test-cursor-secret-that-is-long-enough!!',
      SHUTDOWN_DELAY: '0',
      PASSWORD_HASH_COST: '10',
      RATE_LIMIT_MAX: '100000',
      LOGIN_RATE_LIMIT: '5',
      LOG_LEVEL: 'silent',
      // Load shedding is the health plugin's job and tested there; on a busy CI machine it would shed
      // these functional tests' requests.
      MAX_EVENT_LOOP_DELAY: '0',
      PORT: '0',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    }),
    ...target.storage,
    ...overrides,
  }
}

/** A running app and a fetch client bound to it. */
export interface Running {
  readonly app: FastifyInstance
  readonly url: string
  readonly api: Client
  close(): Promise<void>
}

export async function startApp(config: AppConfig, options: BuildOptions = {}): Promise<Running> {
  const app = await buildApp(config, { logger: false, ...options })
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { app, url, api: new Client(url), close: () => app.close() }
  } catch (error) {
    await app.close()
    throw error
  }
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
}

export interface RequestOptions {
  body?: unknown
  /** A raw body sent as is (with `contentType`, default `application/json`). */
  raw?: string
  contentType?: string
  token?: string
  headers?: Record<string, string>
}

/** A small fetch wrapper: JSON in, JSON (or nothing) out. */
export class Client {
  constructor(readonly baseUrl: string) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers }
    let body: string | undefined
    if (options.raw !== undefined || options.body !== undefined) {
      body = options.raw ?? JSON.stringify(options.body)
      headers['content-type'] ??= options.contentType ?? 'application/json'
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body })
    const text = await response.text()
    let parsed: unknown = text
    if (text !== '' && /json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text)
    return { status: response.status, headers: response.headers, body: parsed as T }
  }

  async register(email: string, name = 'Test User', password = 'password-123'): Promise<UserBody> {
    const response = await this.request<{ user: UserBody }>('POST', '/auth/register', {
      body: { email, name, password },
    })
    if (response.status !== 201)
      throw new Error(`register ${email}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body.user
  }

  async login(email: string, password = 'password-123'): Promise<TokenPairBody> {
    const response = await this.request<TokenPairBody>('POST', '/auth/login', { body: { email, password } })
    if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body
  }
}

export interface UserBody {
  id: string
  email: string
  name: string
  role: 'user' | 'admin'
  createdAt: string
  updatedAt: string
}

export interface TokenPairBody {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
  refreshTokenExpiresIn: number
  sessionId: string
  sessionExpiresIn: number
}

/** Asserts the shape of an RFC 9457 problem document and returns its code. */
export function problemCode(response: ApiResponse<unknown>): string | undefined {
  const body = response.body as { code?: unknown; status?: unknown }
  return typeof body === 'object' && body !== null && typeof body.code === 'string' ? body.code : undefined
}
