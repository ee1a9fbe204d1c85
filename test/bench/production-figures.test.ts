// The production figures of docs/health.md ("Measured") and the example README, as the scripts a user runs print
// them: bench/outage.mjs (dependency outages under load) and bench/shutdown.mjs (SIGTERM under load). Real
// PostgreSQL, a private redis-server each; about 25 s per script.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { describeWithRedisServer } from '../helpers/private-redis.js'
import { describeWithDatabase } from '../helpers/services.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Runs `node bench/<script> --json …args` and resolves the JSON it prints last. */
function runScript(script: string, args: string[], databaseUrl: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`bench/${script}`, '--json', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${script} exited with ${code}:\n${out}`))
      else resolve(JSON.parse(last) as Record<string, unknown>)
    })
  })
}

interface FaultFigures {
  fault: string
  requests: number
  status500: number
  otherErrors: number
  slowerThan5s: number
  readinessReported: boolean
  recoveryMs: number
}

describeWithDatabase('production figures', (databaseUrl) => {
  describeWithRedisServer('bench scripts', () => {
    it('should answer no 500 and nothing slower than 5 s during outages, report them, and recover within 2 s', async () => {
      const result = await runScript('outage.mjs', ['--outage', '3'], databaseUrl)
      const faults = result.faults as FaultFigures[]
      expect(faults).toHaveLength(2)
      for (const fault of faults) {
        expect(fault.requests, fault.fault).toBeGreaterThan(100)
        expect(fault, fault.fault).toMatchObject({
          status500: 0,
          otherErrors: 0,
          slowerThan5s: 0,
          readinessReported: true,
        })
        expect(fault.recoveryMs, fault.fault).toBeLessThan(2000)
      }
      expect(result.errorLogLines).toBe(0)
    }, 90_000)

    it('should lose no request when an instance gets SIGTERM under 50-connection load', async () => {
      const result = await runScript('shutdown.mjs', [], databaseUrl)
      expect(result.toStoppedInstance).toBeGreaterThan(50)
      expect(result).toMatchObject({ lost: 0, exitCode: 0 })
    }, 90_000)
  })
})
