#!/usr/bin/env node
// `npm test`: the four quality gates, in order. Every gate runs (so one CI log shows all failures);
// the exit code is non-zero when any gate failed.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'

const resultsFile = '.vitest-results.json'
const gates = [
  ['typecheck', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['lint', 'npx', ['biome', 'check', '.']],
  ['tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`]],
  ['package', 'node', ['test/package/check.mjs']],
]

rmSync(resultsFile, { force: true })
const failed = []
for (const [name, command, args] of gates) {
  console.log(`\n=== gate: ${name} (${[command, ...args].join(' ')})`)
  const started = Date.now()
  const { status } = spawnSync(command, args, { stdio: 'inherit' })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`=== gate: ${name} ${status === 0 ? 'passed' : 'FAILED'} in ${seconds}s`)
  if (status !== 0) failed.push(name)
}

// One plain closing line with the test counts, readable by any CI.
if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'))
  const skipped = r.numPendingTests + r.numTodoTests
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`)
}
if (failed.length > 0) {
  console.error(`npm test: gate(s) failed: ${failed.join(', ')}`)
  process.exit(1)
}
console.log('npm test: all 4 gates passed')
