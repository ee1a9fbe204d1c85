// A redis-server of the test's own, on a free port, that the test may stop and start again: outages are
// tested against a real Redis without ever touching the shared one.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe } from 'vitest'

/** A private redis-server child process. */
export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** Kills the server (no persistence: its data is gone) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty, and waits until it accepts connections. */
  start(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail(new Error(`redis-server did not start on port ${port}:\n${output}`)), 10_000)
    function fail(error: Error) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.once('error', fail)
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${String(code)}:\n${output}`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        child.removeAllListeners('error')
        resolve(child)
      }
    })
  })
}

/** Starts a private redis-server (`--save "" --appendonly no`) on a free port; `stop()` it in `afterAll`. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined = await spawnRedis(port)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      const exited = once(running, 'exit')
      running.kill('SIGKILL')
      await exited
    },
    async start() {
      if (child !== undefined) return
      child = await spawnRedis(port)
    },
  }
}

const isCI = process.env.CI === 'true' || process.env.CI === '1'
const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

/**
 * A describe block that needs the `redis-server` binary (to run a private Redis it can stop). Skipped with a
 * message when the binary is missing, a failure under `CI=true`.
 */
export function describeWithRedisServer(name: string, body: () => void): void {
  if (hasRedisServer) {
    describe(name, body)
    return
  }
  if (isCI) throw new Error('redis-server must be installed when CI=true: outage tests never skip in CI')
  console.warn(`[skip] "${name}": redis-server is not installed`)
  describe.skip(name, body)
}
