#!/usr/bin/env node
// Gate 4: build the package, lint its packaging, then install the packed tarball into a fresh
// consumer project and use it from ESM, CommonJS and TypeScript (node16 and bundler resolution).
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const fixtures = join(root, 'test/package/fixtures')
const bin = (name) => join(root, 'node_modules/.bin', name)

function step(title, file, args, options = {}) {
  console.log(`\n--- package check: ${title}`)
  try {
    execFileSync(file, args, { stdio: 'inherit', cwd: root, ...options })
  } catch {
    console.error(`package check FAILED at: ${title}`)
    process.exit(1)
  }
}

step('build', bin('tsup'), [])
step('publint', bin('publint'), ['--strict'])
// node10 resolution cannot see subpath exports; Node >= 20 and every modern bundler use node16/bundler.
step('attw', bin('attw'), ['--pack', '.', '--profile', 'node16'])

const work = mkdtempSync(join(tmpdir(), 'keel-consumer-'))
try {
  step('npm pack', 'npm', ['pack', '--pack-destination', work, '--silent'])
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))
  if (!tarball) throw new Error('npm pack produced no tarball')

  cpSync(fixtures, work, { recursive: true })
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'keel-consumer', private: true }, null, 2))
  step(
    'install into a fresh consumer',
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      `./${tarball}`,
      'fastify@5',
      '@types/node@20',
    ],
    { cwd: work },
  )
  step('ESM consumer', process.execPath, ['consumer.mjs'], { cwd: work })
  step('CommonJS consumer', process.execPath, ['consumer.cjs'], { cwd: work })
  step('TypeScript consumer (node16)', bin('tsc'), ['-p', 'tsconfig.node16.json'], { cwd: work })
  step('TypeScript consumer (bundler)', bin('tsc'), ['-p', 'tsconfig.bundler.json'], { cwd: work })
  // Programs of their own: a module augmentation reaches every file of a program.
  step('TypeScript: the root entry types no plugin decorator', bin('tsc'), ['-p', 'tsconfig.root.json'], { cwd: work })
  step('TypeScript: the preset with an opted-in subpath', bin('tsc'), ['-p', 'tsconfig.opt-in.json'], { cwd: work })
  console.log('\npackage check: all steps passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
