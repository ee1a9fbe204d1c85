// What bench/outage.mjs and bench/shutdown.mjs share: a private redis-server they may kill, a TCP fault proxy in
// front of PostgreSQL they may cut, instances of the example app (examples/user-api, one child process each, run
// from its sources with tsx), and a closed-loop load driver that records every request.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const DATABASE_URL =
  process.env.DATABASE_URL ?? process.env.KEEL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/**
 * A redis-server of our own on a free port, with AOF on as the production guide asks (so a restart keeps the
 * sessions): `stop()` kills it (SIGKILL: an outage, not a clean shutdown), `start()` brings it back.
 */
export async function startPrivateRedis() {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-redis-'))
  let child
  const launch = () =>
    new Promise((resolve, reject) => {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes']
      const started = spawn('redis-server', [...args, '--maxmemory-policy', 'noeviction'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      started.once('error', reject)
      started.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
      started.stdout.on('data', (chunk) => {
        out += chunk
        if (out.includes('Ready to accept connections')) {
          started.removeAllListeners('exit')
          started.stdout.resume()
          resolve(started)
        }
      })
    })
  child = await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child === undefined) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
      child = undefined
    },
    async start() {
      if (child === undefined) child = await launch()
    },
    async close() {
      await this.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A TCP proxy to `target` ({ host, port }); `cut()` resets every connection, old and new, until `restore()`. */
export async function startFaultProxy(target) {
  const sockets = new Set()
  let cut = false
  const track = (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server = createServer((client) => {
    track(client)
    if (cut) return client.resetAndDestroy()
    const upstream = createConnection(target)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: server.address().port,
    cut() {
      cut = true
      for (const socket of sockets) socket.resetAndDestroy()
    },
    restore() {
      cut = false
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** A fresh schema on PostgreSQL for this run; `url` selects it through `search_path`. */
export async function privateSchema() {
  const name = `keel_bench_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${name}`)
  await admin.end()
  const url = new URL(DATABASE_URL)
  url.searchParams.set('options', `-c search_path=${name}`)
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
      await client.end()
    },
  }
}

export const ADMIN = { email: 'admin@bench.test', password: 'admin-password-1' }

/**
 * Starts `examples/user-api/src/main.ts` as a child process (tsx, with the repository's tsconfig mapping
 * `fastify-keel` to the sources) and resolves once it prints its URL.
 */
export async function startInstance(env) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(root, 'examples/user-api'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
      PORT: '0',
      JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256!',
      CURSOR_SECRET: 'bench-cursor-secret-long-enough-for-hmac!',
      PASSWORD_HASH_COST: '10',
      RATE_LIMIT_MAX: '100000000',
      MAX_EVENT_LOOP_DELAY: '0',
      LOG_LEVEL: 'error',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const errors = []
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`example exited with ${code} before listening:\n${output}`)))
    child.stdout.on('data', (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) resolve(match[1])
    })
  })
  child.removeAllListeners('exit')
  // pino lines at error level or worse, e.g. a 500's "internal server error" line.
  child.stdout.on('data', (chunk) => {
    for (const line of String(chunk).split('\n')) if (/"level":(50|60)/.test(line)) errors.push(line)
  })
  return {
    url,
    child,
    errors,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** Logs in as the admin through `url`; resolves the access token. */
export async function adminToken(url) {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  })
  if (response.status !== 200) throw new Error(`login: ${response.status} ${await response.text()}`)
  return (await response.json()).accessToken
}

/**
 * A closed loop of `connections` workers, each sending one request at a time to `pick()`'s base URL until
 * `stop()`; every request is recorded as { start, end, status } (status 0: the connection failed).
 */
export function drive({ connections, pick, path, headers, timeoutMs = 10_000 }) {
  const records = []
  let running = true
  const worker = async () => {
    while (running) {
      const base = pick()
      if (base === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        continue
      }
      const start = performance.now()
      let status = 0
      let error
      try {
        const response = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) })
        await response.arrayBuffer()
        status = response.status
      } catch (failure) {
        error = failure?.cause?.code ?? failure?.name ?? 'error'
      }
      records.push({ base, start, end: performance.now(), status, error })
    }
  }
  const workers = Array.from({ length: connections }, worker)
  return {
    records,
    async stop() {
      running = false
      await Promise.all(workers)
    },
  }
}

/** Polls `${url}/health/ready` every `everyMs`; `events` records each status change with its time. */
export function watchReadiness(url, everyMs = 100) {
  const events = []
  let last
  let running = true
  const loop = (async () => {
    while (running) {
      let status = 0
      try {
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })
        await response.arrayBuffer()
        status = response.status
      } catch {
        status = 0
      }
      if (status !== last) events.push({ at: performance.now(), status })
      last = status
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  })()
  return {
    events,
    get status() {
      return last
    },
    async stop() {
      running = false
      await loop
    },
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
