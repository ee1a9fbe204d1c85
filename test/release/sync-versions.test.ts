import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('../../scripts/sync-versions.mjs', import.meta.url))
let work: string | undefined
afterEach(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

function repository(files: Record<string, unknown>): string {
  work = mkdtempSync(join(tmpdir(), 'keel-sync-'))
  for (const [path, json] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true })
    writeFileSync(join(work, path), `${JSON.stringify(json, null, 2)}\n`)
  }
  return work
}

const read = (root: string, path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'))

describe('sync-versions (npm run release:version)', () => {
  it('should bring the initializer, the template and the lockfile to the version changesets wrote', () => {
    const root = repository({
      'package.json': { name: 'fastify-keel', version: '0.2.0' },
      'package-lock.json': { name: 'fastify-keel', version: '0.1.0', packages: { '': { version: '0.1.0' } } },
      'packages/create-fastify-keel/package.json': { name: 'create-fastify-keel', version: '0.1.0' },
      'examples/user-api/package.json': {
        name: 'user-api',
        dependencies: { fastify: '^5.0.0', 'fastify-keel': '^0.1.0' },
      },
    })
    const { status, stdout } = spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
    expect(status).toBe(0)
    expect(stdout).toContain('packages/create-fastify-keel/package.json: version 0.1.0 → 0.2.0')
    expect(read(root, 'packages/create-fastify-keel/package.json').version).toBe('0.2.0')
    expect(read(root, 'examples/user-api/package.json').dependencies).toEqual({
      fastify: '^5.0.0',
      'fastify-keel': '^0.2.0',
    })
    const lock = read(root, 'package-lock.json')
    expect([lock.version, lock.packages[''].version]).toEqual(['0.2.0', '0.2.0'])
  })

  it('should change nothing when everything is in step', () => {
    const root = repository({
      'package.json': { name: 'fastify-keel', version: '0.1.0' },
      'package-lock.json': { version: '0.1.0', packages: { '': { version: '0.1.0' } } },
      'packages/create-fastify-keel/package.json': { version: '0.1.0' },
      'examples/user-api/package.json': { dependencies: { 'fastify-keel': '^0.1.0' } },
    })
    const { stdout } = spawnSync(process.execPath, [script, root], { encoding: 'utf8' })
    expect(stdout.trim()).toBe('sync-versions: already in step')
  })
})

describe('versions in this repository', () => {
  it('should give create-fastify-keel the version of fastify-keel', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    expect(read(root, 'packages/create-fastify-keel/package.json').version).toBe(read(root, 'package.json').version)
  })
})
