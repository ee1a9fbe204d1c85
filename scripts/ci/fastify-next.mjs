#!/usr/bin/env node
// `.ci/run` stage: Node 22 (the older supported LTS) with both Fastify majors. The unit suite runs against the
// newest Fastify 6 release on the registry (a pre-release until 6.0.0 ships; Fastify 6 needs Node 22), in a
// scratch copy of the repository so the worktree keeps Fastify 5. Then fresh consumers install the packed tarball
// with Fastify 6 and with Fastify 5 and load it from ESM and CommonJS on Node 22, which proves the peer range
// accepts both. The unit suite with Fastify 5 runs on Node 20 (npm test) and Node 24 (node-suite.mjs 24).
// `KEEL_FASTIFY_NEXT=<version>` pins another Fastify 6 version.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConsumer, step } from '../../test/package/consumer.mjs'
import { NODE_22, UNIT_SUITE, vitestOn } from './node.mjs'

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
  vitestOn(NODE_22, UNIT_SUITE, { cwd: scratch, title: `unit suite on Fastify ${version}, Node ${NODE_22}` })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

const node22 = ['-y', '-p', `node@${NODE_22}`, '--', 'node']
for (const fastify of [version, '5']) {
  const work = createConsumer({ fastify })
  try {
    step(`ESM consumer on Fastify ${fastify}, Node ${NODE_22}`, 'npx', [...node22, 'consumer.mjs'], { cwd: work })
    step(`CommonJS consumer on Fastify ${fastify}, Node ${NODE_22}`, 'npx', [...node22, 'consumer.cjs'], { cwd: work })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
