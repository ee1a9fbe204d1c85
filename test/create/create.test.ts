import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createProject, TargetNotEmptyError } from '../../packages/create-fastify-keel/src/create.js'
import { ignoreEnv, renderEnv, secretNames } from '../../packages/create-fastify-keel/src/env.js'
import { isTemplateEntry } from '../../packages/create-fastify-keel/src/template.js'

const example = fileURLToPath(new URL('../../examples/user-api/', import.meta.url))
let work: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'keel-create-'))
})
afterEach(() => {
  rmSync(work, { recursive: true, force: true })
})

function write(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

/** A template the way the published package bundles it: `_gitignore`, and local state that must not travel. */
function bundledTemplate(): string {
  return write(join(work, 'template'), {
    'package.json': JSON.stringify({
      name: 'template',
      private: true,
      scripts: { test: 'x', build: 'y' },
      dependencies: { 'fastify-keel': '^0.1.0', fastify: '^5.0.0' },
    }),
    _gitignore: 'node_modules/\n.data/\n',
    '.env.example': 'PORT=3000\nJWT_SECRET=\n# CURSOR_SECRET signs pagination cursors\nCURSOR_SECRET=change-me\n',
    'src/config.ts': "read('JWT_SECRET'); read('CURSOR_SECRET')\n",
    'src/main.ts': 'export {}\n',
    '.env': 'JWT_SECRET=the-developers-own\n',
    '.env.local': 'X=1\n',
    '.data/pglite/db': 'rows',
    'node_modules/x/index.js': '',
    'dist/main.js': '',
    'coverage/index.html': '',
    'fastify-keel-0.1.0.tgz': '',
  })
}

const readEnv = (dir: string) =>
  Object.fromEntries(
    readFileSync(join(dir, '.env'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=', 2) as [string, string]),
  )

describe('create-fastify-keel', () => {
  it('should copy the template without local state, builds, tarballs or secrets', () => {
    const target = join(work, 'my-api')
    const { files } = createProject({ directory: target, name: 'my-api', template: bundledTemplate() })
    expect(files).toEqual(['.env', '.env.example', '.gitignore', 'package.json', 'src/config.ts', 'src/main.ts'])
    expect(readdirSync(target).sort()).toEqual(['.env', '.env.example', '.gitignore', 'package.json', 'src'])
  })

  it('should name the package and keep the rest of package.json', () => {
    const target = join(work, 'my-api')
    createProject({ directory: target, name: '@acme/my-api', template: bundledTemplate() })
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
    expect(Object.keys(pkg)[0]).toBe('name')
    expect(pkg).toMatchObject({ name: '@acme/my-api', private: true, dependencies: { 'fastify-keel': '^0.1.0' } })
  })

  it('should point fastify-keel at --keel and leave the other dependencies alone', () => {
    const target = join(work, 'my-api')
    createProject({ directory: target, name: 'my-api', template: bundledTemplate(), keel: 'file:/tmp/keel.tgz' })
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
    expect(pkg.dependencies).toEqual({ 'fastify-keel': 'file:/tmp/keel.tgz', fastify: '^5.0.0' })
  })

  it('should write fresh secrets for every *_SECRET the template names, readable by the owner only', () => {
    const first = join(work, 'one')
    const { secrets } = createProject({ directory: first, name: 'one', template: bundledTemplate() })
    const second = join(work, 'two')
    createProject({ directory: second, name: 'two', template: join(work, 'template') })
    expect(secrets).toEqual(['JWT_SECRET', 'CURSOR_SECRET'])
    const a = readEnv(first)
    const b = readEnv(second)
    expect(a.PORT).toBe('3000')
    for (const name of secrets) {
      expect(a[name]).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(a[name]).not.toBe(b[name])
    }
    expect(a.JWT_SECRET).not.toBe(a.CURSOR_SECRET)
    expect(readFileSync(join(first, '.env'), 'utf8')).not.toContain('the-developers-own')
    expect(statSync(join(first, '.env')).mode & 0o077).toBe(0)
  })

  it('should restore the bundled _gitignore as .gitignore, with .env in it', () => {
    const target = join(work, 'my-api')
    createProject({ directory: target, name: 'my-api', template: bundledTemplate() })
    expect(existsSync(join(target, '_gitignore'))).toBe(false)
    expect(readFileSync(join(target, '.gitignore'), 'utf8')).toBe('node_modules/\n.data/\n.env\n')
  })

  it('should accept an empty folder or one with only .git', () => {
    const target = join(work, 'repo')
    mkdirSync(join(target, '.git'), { recursive: true })
    expect(() => createProject({ directory: target, name: 'repo', template: bundledTemplate() })).not.toThrow()
  })

  it('should refuse a folder that is not empty and write nothing there', () => {
    const target = write(join(work, 'taken'), { 'notes.txt': 'mine' })
    expect(() => createProject({ directory: target, name: 'taken', template: bundledTemplate() })).toThrow(
      TargetNotEmptyError,
    )
    expect(readdirSync(target)).toEqual(['notes.txt'])
  })

  it('should refuse a path that is a file', () => {
    const target = join(work, 'a-file')
    writeFileSync(target, 'mine')
    expect(() => createProject({ directory: target, name: 'a-file', template: bundledTemplate() })).toThrow(
      TargetNotEmptyError,
    )
  })

  it('should create a project from the repository example', () => {
    const target = join(work, 'from-example')
    const result = createProject({ directory: target, name: 'from-example', template: example })
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
    expect(pkg.name).toBe('from-example')
    expect(pkg.dependencies['fastify-keel']).toMatch(/^\^\d+\.\d+\.\d+$/)
    expect(result.secrets).toContain('JWT_SECRET')
    expect(readEnv(target).JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(readFileSync(join(target, '.gitignore'), 'utf8').split('\n')).toContain('.env')
    expect(result.files.some((file) => /^(\.data|node_modules|dist)\//.test(file))).toBe(false)
    expect(result.nextSteps[0]).toBe('npm install')
  })
})

describe('create-fastify-keel helpers', () => {
  it('should tell template entries from local state', () => {
    for (const name of ['src', 'package.json', '.gitignore', '.env.example', 'Dockerfile'])
      expect(isTemplateEntry(name)).toBe(true)
    for (const name of [
      '.env',
      '.env.production',
      '.data',
      'node_modules',
      'dist',
      'coverage',
      'a.tgz',
      'npm-debug.log',
    ])
      expect(isTemplateEntry(name)).toBe(false)
  })

  it('should find the secrets a template names, JWT_SECRET always', () => {
    expect(secretNames([])).toEqual(['JWT_SECRET'])
    expect(secretNames(['CURSOR_SECRET=\n', 'env.JWT_SECRET ?? env.WEBHOOK_SECRET'])).toEqual([
      'JWT_SECRET',
      'CURSOR_SECRET',
      'WEBHOOK_SECRET',
    ])
  })

  it('should fill secret lines in place and append the ones .env.example lacks', () => {
    const text = renderEnv(
      'A=1\nexport JWT_SECRET=x\n# JWT_SECRET= in a comment\n',
      ['JWT_SECRET', 'CURSOR_SECRET'],
      () => 's',
    )
    expect(text.split('\n').slice(2)).toEqual([
      'A=1',
      'JWT_SECRET=s',
      '# JWT_SECRET= in a comment',
      'CURSOR_SECRET=s',
      '',
    ])
  })

  it('should add .env to a .gitignore only when it does not ignore it yet', () => {
    expect(ignoreEnv('')).toBe('.env\n')
    expect(ignoreEnv('node_modules/')).toBe('node_modules/\n.env\n')
    expect(ignoreEnv('dist/\n.env\n')).toBe('dist/\n.env\n')
    expect(ignoreEnv('.env*\n')).toBe('.env*\n')
    expect(ignoreEnv('.env.example\n')).toBe('.env.example\n.env\n')
  })
})
