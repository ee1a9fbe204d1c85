#!/usr/bin/env node
// The TypeScript matrix of `.ci/run`: the packed package type-checked by a consumer with every supported
// TypeScript line (5.4 the oldest, 5.9 the last 5.x, 7 the native compiler; 6 runs in `npm test`) under
// every module resolution mode it has. Declarations are checked (`skipLibCheck: false`) in the node16
// program, which loads the ESM and the CommonJS builds together, on 5.4 and 7; the other runs skip them.
// The consumer has the lowest TypeBox of the peer range (`npm test` has the newest).
import { execFile } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createConsumer, hasNode10, MODES, root, typeCheck } from './consumer.mjs'

/** TypeScript lines and whether their node16 run checks the declarations. */
const LINES = [
  ['5.4', true],
  ['5.9', false],
  ['7', true],
]

const { peerDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const TYPEBOX_FLOOR = /^\^(\d+\.\d+\.\d+)$/.exec(peerDependencies.typebox)?.[1]
if (!TYPEBOX_FLOOR) throw new Error(`peerDependencies.typebox is not a ^x.y.z range: ${peerDependencies.typebox}`)

const work = createConsumer({ typebox: TYPEBOX_FLOOR })
try {
  const installed = JSON.parse(readFileSync(join(work, 'node_modules/typebox/package.json'), 'utf8')).version
  if (installed !== TYPEBOX_FLOOR) throw new Error(`the consumer has typebox ${installed}, not ${TYPEBOX_FLOOR}`)
  console.log(`\n--- consumer with typebox ${installed}`)
  console.log('\n--- install TypeScript', LINES.map(([line]) => line).join(', '))
  await Promise.all(
    LINES.map(([line]) =>
      promisify(execFile)('npm', [
        'install',
        '--prefix',
        join(work, `ts-${line}`),
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        `typescript@${line}`,
      ]),
    ),
  )
  for (const [line, declarations] of LINES) {
    const prefix = join(work, `ts-${line}`)
    const { version } = JSON.parse(readFileSync(join(prefix, 'node_modules/typescript/package.json'), 'utf8'))
    for (const mode of MODES) {
      if (mode === 'node10' && !hasNode10(version)) continue
      const libCheck = declarations && mode === 'node16'
      typeCheck(work, join(prefix, 'node_modules/.bin/tsc'), version, mode, { libCheck })
    }
  }
  console.log('\nTypeScript matrix: all steps passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
