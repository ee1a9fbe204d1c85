import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('../../packages/create-fastify-keel/src/cli.ts', import.meta.url))
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'keel-create-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function run(...args: string[]) {
  const { status, stdout, stderr } = spawnSync(tsx, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
  })
  return { status, stdout, stderr }
}

describe('create-fastify-keel command', () => {
  it('should print the usage with --help and exit 0', () => {
    const { status, stdout } = run('--help')
    expect(status).toBe(0)
    expect(stdout).toMatch(/^Usage: npm create fastify-keel@latest <directory>/)
    expect(stdout).toContain('--keel <spec>')
  })

  it('should exit 2 with the rule a bad name breaks', () => {
    const { status, stderr } = run('My-API')
    expect(status).toBe(2)
    expect(stderr).toContain('package name "My-API" must be lowercase; choose one with --name')
    expect(readdirSync(work)).toEqual([])
  })

  it('should exit 1 on a folder that is not empty', () => {
    writeFileSync(join(work, 'README.md'), 'mine')
    const { status, stderr } = run('.', '--name', 'mine')
    expect(status).toBe(1)
    expect(stderr).toMatch(/is not empty \(README\.md\); choose a new or empty folder/)
    expect(readdirSync(work)).toEqual(['README.md'])
  })

  it('should create the project from the repository example and print the next commands', () => {
    const { status, stdout } = run('my-api')
    expect(status).toBe(0)
    expect(stdout).toContain('Created my-api in')
    expect(stdout).toMatch(/Next:\n {2}cd my-api\n {2}npm install\n/)
    expect(readdirSync(join(work, 'my-api'))).toEqual(expect.arrayContaining(['.env', '.gitignore', 'package.json']))
  })
})
