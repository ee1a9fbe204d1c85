#!/usr/bin/env node
// `.ci/run` stage: the whole suite against the newest Fastify 6 release on the registry (a pre-release
// until 6.0.0 ships), on Node 22 (Fastify 6 needs it), in a scratch copy of the repository so the
// worktree keeps Fastify 5. Then a fresh consumer installs the packed tarball with that Fastify, which
// proves the peer range accepts it. `KEEL_FASTIFY_NEXT=<version>` pins another version.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConsumer, step } from '../../test/package/consumer.mjs'
import { NODE_22, vitestOn } from './node.mjs'

function newestFastify6() {
  const out = execFileSync('npm', ['view', 'fastify@>=6.0.0-0 <7.0.0', 'version', '--json'], { encoding: 'utf8' })
  const versions = [].concat(JSON.parse(out))
  const newest = versions.at(-1) // npm lists matches in semver order
  if (typeof newest !== 'string') throw new Error('no Fastify 6 version on the registry')
  return newest
}

const version = process.env.KEEL_FASTIFY_NEXT || newestFastify6()
console.log(`fastify-next: Fastify ${version} on Node ${NODE_22}`)

const scratch = mkdtempSync(join(tmpdir(), 'keel-fastify-next-'))
try {
  step('copy the repository', 'sh', [
    '-c',
    `tar --exclude=./.git --exclude=./dist --exclude=./bench/results -cf - . | tar -xf - -C '${scratch}'`,
  ])
  step(
    `install fastify@${version} (not saved)`,
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', `fastify@${version}`],
    { cwd: scratch },
  )
  step('the installed Fastify', process.execPath, ['-p', "require('fastify/package.json').version"], { cwd: scratch })
  vitestOn(NODE_22, [], { cwd: scratch, title: `suite on Fastify ${version}, Node ${NODE_22}` })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

const work = createConsumer({ fastify: version })
try {
  step(`ESM consumer on Fastify ${version}`, 'npx', ['-y', '-p', `node@${NODE_22}`, '--', 'node', 'consumer.mjs'], {
    cwd: work,
  })
  step(
    `CommonJS consumer on Fastify ${version}`,
    'npx',
    ['-y', '-p', `node@${NODE_22}`, '--', 'node', 'consumer.cjs'],
    {
      cwd: work,
    },
  )
} finally {
  rmSync(work, { recursive: true, force: true })
}
