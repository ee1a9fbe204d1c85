#!/usr/bin/env node
// Gate 4: build the package, lint its packaging (publint, attw on every resolution profile), then install
// the packed tarball into a fresh consumer project and use it from ESM, CommonJS and TypeScript under
// every module resolution mode, run the pagination docs example there, and check every docs sample
// (docs-samples.mjs: complete ones type-checked and run, partial ones type-checked).
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { bin, createConsumer, MODES, root, step, typeCheck } from './consumer.mjs'
import { runPaginationExample } from './docs-example.mjs'
import { runDocsSamples, sampleDependencies } from './docs-samples.mjs'

step('build', 'npm', ['run', 'build', '--silent'])
step('publint', bin('publint'), ['--strict'])
// Every profile: node10 (through typesVersions), node16 from CJS and from ESM, bundler.
step('attw', bin('attw'), ['--pack', '.'])

const work = createConsumer(sampleDependencies())
try {
  step('ESM consumer', process.execPath, ['consumer.mjs'], { cwd: work })
  step('CommonJS consumer', process.execPath, ['consumer.cjs'], { cwd: work })
  const { version } = createRequire(`${root}/`)('typescript/package.json')
  for (const mode of MODES) typeCheck(work, bin('tsc'), version, mode, { libCheck: mode === 'node16' })
  runPaginationExample(work)
  const sampleFailures = await runDocsSamples(work)
  if (sampleFailures.length > 0) {
    console.error(`FAILED at: docs samples (${sampleFailures.join('; ')})`)
    process.exitCode = 1
  }
  // Programs of their own: a module augmentation reaches every file of a program.
  // Declarations are checked once above (node16); checking TypeBox's again here would only cost time.
  const skipLib = ['--skipLibCheck']
  step('TypeScript: the root entry types no plugin decorator', bin('tsc'), ['-p', 'tsconfig.root.json', ...skipLib], {
    cwd: work,
  })
  step('TypeScript: the preset with an opted-in subpath', bin('tsc'), ['-p', 'tsconfig.opt-in.json', ...skipLib], {
    cwd: work,
  })
  step(
    'TypeScript: claims declared in an ES module type CommonJS files too',
    bin('tsc'),
    ['-p', 'tsconfig.augment.json'],
    {
      cwd: work,
    },
  )
  if (sampleFailures.length === 0) console.log('\npackage check: all steps passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
