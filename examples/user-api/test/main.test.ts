// `npm run dev` is the README's quick start: main.ts must start on the embedded database, print its
// URL, refuse a bad environment with a message per variable, and stop cleanly on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteTarget, type Target } from './harness.js'

const templateRoot = fileURLToPath(new URL('../', import.meta.url))

/**
 * `npm run dev` without npm: tsx runs the sources. `TSX_TSCONFIG_PATH` passes through, so a checkout that maps
 * `fastify-keel` to its sources (the repository's test run sets it) starts the same way.
 */
function startMain(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const passThrough =
    process.env.TSX_TSCONFIG_PATH === undefined ? {} : { TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: templateRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...passThrough, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  return { child, output: () => text }
}

async function waitFor(output: () => string, pattern: RegExp, child: ChildProcess): Promise<RegExpMatchArray> {
  const exited = once(child, 'exit').then(() => undefined)
  for (;;) {
    const match = output().match(pattern)
    if (match !== null) return match
    const done = await Promise.race([exited, new Promise((resolve) => child.stdout?.once('data', resolve))])
    if (done === undefined && child.exitCode !== null) {
      const last = output().match(pattern)
      if (last !== null) return last
      throw new Error(`main.ts exited (${child.exitCode}) before printing ${pattern}:\n${output()}`)
    }
  }
}

describe('example main', () => {
  let target: Target
  beforeAll(async () => {
    target = await pgliteTarget()
  })
  afterAll(async () => {
    await target?.cleanup()
  })

  it('should print its URL, serve requests and exit 0 on Ctrl-C', async () => {
    const { child, output } = startMain({
      PORT: '0',
      KEEL_DATA_DIR: target.storage.dataDir,
      MAX_EVENT_LOOP_DELAY: '0',
      LOG_LEVEL: 'warn',
    })
    try {
      const [, url] = await waitFor(output, /listening on (http:\/\/\S+)/, child)
      const live = await fetch(`${url}/health/live`)
      expect(live.status).toBe(200)
      expect(output()).toContain('JWT_SECRET is not set')
      const exit = once(child, 'exit')
      child.kill('SIGINT')
      const [code] = await exit
      expect(code).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 60_000)

  it('should fail readiness at once on SIGTERM, keep serving for SHUTDOWN_DELAY, then exit 0', async () => {
    const { child, output } = startMain({
      PORT: '0',
      KEEL_DATA_DIR: target.storage.dataDir,
      MAX_EVENT_LOOP_DELAY: '0',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY: '3000',
    })
    try {
      const [, url] = await waitFor(output, /listening on (http:\/\/\S+)/, child)
      expect((await fetch(`${url}/health/ready`)).status).toBe(200)
      const exit = once(child, 'exit')
      const signalled = Date.now()
      child.kill('SIGTERM')
      let ready = 200
      while (ready === 200 && Date.now() - signalled < 2000) ready = (await fetch(`${url}/health/ready`)).status
      expect(ready).toBe(503)
      // Still serving during the delay: the load balancer sees readiness fail and stops sending meanwhile.
      expect((await fetch(`${url}/health/live`)).status).toBe(200)
      const [code] = await exit
      expect(code).toBe(0)
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(2900)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 60_000)

  it('should refuse a bad environment with one message per variable and exit 1', async () => {
    const { child, output } = startMain({ PORT: 'eighty', LOG_LEVEL: 'chatty', NODE_ENV: 'production' })
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(output()).toMatch(/- PORT /)
    expect(output()).toMatch(/- LOG_LEVEL /)
    expect(output()).toMatch(/- JWT_SECRET is required/)
  }, 30_000)
})
