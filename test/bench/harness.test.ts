// Proves the benchmark harness works end to end (child server, autocannon, table); asserts nothing
// about speed.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('bench', () => {
  it('should print the table with a req/s number for the bare scenario in quick mode', async () => {
    const { code, stdout, stderr } = await runBench(['--quick', '--only', 'bare'])

    expect(code, stderr).toBe(0)
    expect(stdout).toContain('| scenario | req/s | vs bare |')
    const row = stdout.split('\n').find((line) => line.startsWith('| bare |'))
    expect(row, stdout).toBeDefined()
    const rps = Number(row?.split('|')[2]?.trim().replaceAll(',', ''))
    expect(rps).toBeGreaterThan(0)
    expect(row?.split('|')[3]?.trim()).toBe('1.00')
  }, 15_000)

  it('should reject an unknown scenario name', async () => {
    const { code, stderr } = await runBench(['--quick', '--only', 'no-such-scenario'])

    expect(code).toBe(1)
    expect(stderr).toContain('unknown scenario')
  }, 15_000)
})
