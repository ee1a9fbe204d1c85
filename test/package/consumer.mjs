// A fresh consumer project that installs the packed tarball, shared by the package check (gate 4 of
// `npm test`) and the TypeScript matrix of `.ci/run`.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const bin = (name) => join(root, 'node_modules/.bin', name)

/** What a new project installs today beside keel: the current majors of its peers and of the type provider. */
export const CONSUMER_DEPENDENCIES = Object.freeze({
  fastify: '5',
  typebox: '1',
  '@fastify/type-provider-typebox': '6',
  '@types/node': '22',
})

/** Runs one titled step; exits the process with a clear line when it fails. */
export function step(title, file, args, options = {}) {
  console.log(`\n--- ${title}`)
  const started = Date.now()
  try {
    execFileSync(file, args, { stdio: 'inherit', cwd: root, ...options })
    console.log(`--- ${title}: ${((Date.now() - started) / 1000).toFixed(1)}s`)
  } catch {
    console.error(`FAILED at: ${title}`)
    process.exit(1)
  }
}

/**
 * Builds the package unless `dist/` is there, packs it into `destination` (`npm pack`, as a user's registry
 * install gets it) and returns the tarball's absolute path.
 */
export function packKeel(destination) {
  if (!existsSync(join(root, 'dist/index.d.cts'))) step('build', 'npm', ['run', 'build', '--silent'])
  step('npm pack', 'npm', ['pack', '--pack-destination', destination, '--silent'])
  const tarball = readdirSync(destination).find((f) => /^fastify-keel-.+\.tgz$/.test(f))
  if (!tarball) throw new Error('npm pack produced no tarball')
  return join(destination, tarball)
}

/**
 * Packs the built package into a temporary project with the fixtures and installs it with
 * {@link CONSUMER_DEPENDENCIES} (`versions` overrides some, e.g. `{ fastify: '6.0.0-alpha.4' }`); returns the folder.
 */
export function createConsumer(versions = {}) {
  const dependencies = Object.entries({ ...CONSUMER_DEPENDENCIES, ...versions }).map(
    ([name, range]) => `${name}@${range}`,
  )
  const work = mkdtempSync(join(tmpdir(), 'keel-consumer-'))
  const tarball = basename(packKeel(work))
  cpSync(join(root, 'test/package/fixtures'), work, { recursive: true })
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'keel-consumer', private: true }, null, 2))
  step(
    'install into a fresh consumer',
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', `./${tarball}`, ...dependencies],
    { cwd: work },
  )
  return work
}

/**
 * The module resolution modes a consumer may compile with, each a tsconfig of the fixtures. `node10` is
 * what `module: commonjs` implies up to TypeScript 5.9; TypeScript 6 deprecates it and 7 removes it.
 */
export const MODES = ['node10', 'node16', 'nodenext', 'bundler']

/**
 * Type-checks the fixtures under `mode` with the `tsc` at `tscPath` (TypeScript `version`). With
 * `libCheck` the declaration files are checked too (`skipLibCheck: false`, as the tsconfigs say): that is
 * what finds errors inside keel's declarations (TS2717, TS1479), but TypeBox 1's own declarations take
 * most of its time, so callers ask for it where it finds something (the node16 program loads both builds).
 */
export function typeCheck(work, tscPath, version, mode, { libCheck = true } = {}) {
  const major = Number(version.split('.')[0])
  const args = ['-p', `tsconfig.${mode}.json`]
  if (mode === 'node10' && major === 6) args.push('--ignoreDeprecations', '6.0')
  if (!libCheck) args.push('--skipLibCheck')
  const title = `TypeScript ${version} consumer (${mode}${libCheck ? ', declarations checked' : ''})`
  step(title, tscPath, args, { cwd: work })
}

/** Whether TypeScript `version` still has `moduleResolution: node10`. */
export function hasNode10(version) {
  return Number(version.split('.')[0]) < 7
}
