#!/usr/bin/env node
// `npm run release:check`: what `npm run release` would publish, checked before it does. For each publishable
// package, `npm publish --dry-run` (its prepack included) must be clean: no warning beyond the dry run's own,
// only the files a user needs (no tests outside the template, no .env, no tarballs or local state). The pending
// changesets must be minor or patch (pre-1.0, a breaking change is a minor marked **Breaking:**). At a release
// point (no changeset pending: what the release workflow publishes) the initializer's version must equal
// fastify-keel's and the template must ask for `fastify-keel@^<that version>`; with changesets pending,
// `npm run release:version` sets both (scripts/sync-versions.mjs), so the plan is printed instead.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { INITIALIZER, TEMPLATE } from './sync-versions.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const problems = []
const problem = (message) => problems.push(message)
const readJson = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'))

// npm's own lines for a dry run without a login; anything else it warns about (e.g. "auto-corrected some errors
// in your package.json") is a defect of the package.
const DRY_RUN_NOISE = /requires you to be logged in|^npm warn publish\s*$/

const TEST_FILE = /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec|test-d)\.[cm]?[jt]sx?$/
const SECRET_FILE = /(^|\/)\.env($|\.(?!example$))/
const LOCAL_STATE = /(^|\/)(node_modules|\.data|coverage|\.git)\/|\.tgz$|\.log$|(^|\/)\.vitest-results\.json$/

const PACKAGES = [
  {
    dir: '.',
    // A published package is its build and what npm always adds.
    allowed: /^(dist\/.+|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/,
    testsAllowedUnder: undefined,
  },
  {
    dir: 'packages/create-fastify-keel',
    allowed: /^(bin\/create-fastify-keel\.js|dist\/[^/]+\.js|template\/.+|package\.json|README\.md|LICENSE)$/,
    // The template's own tests are part of it: a new project runs them with `npm test`.
    testsAllowedUnder: 'template/',
    required: ['bin/create-fastify-keel.js', 'dist/cli.js', 'template/package.json', 'template/_gitignore', 'LICENSE'],
  },
]

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return latest
}

/** `npm publish --dry-run --json` in `dir`: the manifest npm would publish and its warnings. */
function dryRun(dir) {
  const result = spawnSync('npm', ['publish', '--dry-run', '--json'], { cwd: join(root, dir), encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`npm publish --dry-run failed in ${dir}:\n${result.stderr}`)
  // Lifecycle scripts (prepack) print to stdout before npm's JSON.
  const json = JSON.parse(result.stdout.slice(result.stdout.search(/^\{/m)))
  const manifest = json.files === undefined ? Object.values(json)[0] : json
  const warnings = result.stderr.split('\n').filter((line) => line.startsWith('npm warn') && !DRY_RUN_NOISE.test(line))
  return { manifest, warnings }
}

function checkFiles(pkg, manifest) {
  const files = manifest.files.map((file) => file.path)
  for (const file of files) {
    const where = `${manifest.name}: ${file}`
    if (!pkg.allowed.test(file)) problem(`${where} is not part of what this package ships`)
    if (SECRET_FILE.test(file)) problem(`${where} is an environment file (secrets)`)
    if (LOCAL_STATE.test(file)) problem(`${where} is local state or a build artifact`)
    const testsAllowed = pkg.testsAllowedUnder !== undefined && file.startsWith(pkg.testsAllowedUnder)
    if (TEST_FILE.test(file) && !testsAllowed) problem(`${where} is a test file`)
  }
  for (const file of pkg.required ?? []) {
    if (!files.includes(file)) problem(`${manifest.name}: ${file} is missing from the tarball`)
  }
  const bins = Object.values(manifest.bin ?? {})
  for (const bin of bins) if (!files.includes(bin)) problem(`${manifest.name}: bin ${bin} is not in the tarball`)
  return files
}

/**
 * The pending changesets: `.changeset/*.md` and the bump each asks for, read from their front matter (the
 * `"package": type` lines changesets writes). Read here rather than through `changeset status`, which needs
 * the git history of the base branch.
 */
function pendingChangesets() {
  const dir = join(root, '.changeset')
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => {
      const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))?.[1]
      if (front === undefined) problem(`.changeset/${file}: no front matter`)
      const releases = (front ?? '')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
          const match = /^\s*["']?([^"':]+)["']?\s*:\s*(\w+)\s*$/.exec(line)
          if (match === null) problem(`.changeset/${file}: cannot read ${JSON.stringify(line)}`)
          return { name: match?.[1] ?? '', type: match?.[2] ?? '' }
        })
      return { file, releases }
    })
}

const BUMPS = ['patch', 'minor', 'major']
function bump(version, type) {
  const [major, minor, patch] = version.split('.').map(Number)
  if (type === 'major') return `${major + 1}.0.0`
  if (type === 'minor') return `${major}.${minor + 1}.0`
  return `${major}.${minor}.${patch + 1}`
}

// 1. The changesets.
const keel = readJson('package.json').version
const changesets = pendingChangesets()
let planned
for (const { file, releases } of changesets) {
  for (const { name, type } of releases) {
    if (name !== 'fastify-keel')
      problem(`.changeset/${file}: "${name}" is not a package changesets releases (fastify-keel)`)
    if (!['minor', 'patch'].includes(type)) {
      problem(`.changeset/${file}: ${name} is "${type}"; pre-1.0 use minor (a **Breaking:** first line) or patch`)
    }
    if (BUMPS.indexOf(type) > BUMPS.indexOf(planned)) planned = type
  }
}
if (planned !== undefined) {
  console.log(`planned: fastify-keel ${keel} → ${bump(keel, planned)} (${planned}, ${changesets.length} changesets)`)
}

// 2. The tarballs.
if (
  !existsSync(join(root, 'dist/index.js')) ||
  newest(join(root, 'src')) > statSync(join(root, 'dist/index.js')).mtimeMs
) {
  console.log('building fastify-keel (dist/ is missing or older than src/)')
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
}
const manifests = {}
for (const pkg of PACKAGES) {
  const { manifest, warnings } = dryRun(pkg.dir)
  manifests[pkg.dir] = manifest
  for (const warning of warnings) problem(`${manifest.name}: npm publish --dry-run: ${warning}`)
  const files = checkFiles(pkg, manifest)
  console.log(`${manifest.name}@${manifest.version}: ${files.length} files, ${manifest.size} bytes packed`)
}

// 3. The versions.
const initializer = readJson(INITIALIZER).version
const templateRange = readJson(TEMPLATE).dependencies?.['fastify-keel']
const bundledRange = readJson('packages/create-fastify-keel/template/package.json').dependencies?.['fastify-keel']
if (bundledRange !== templateRange)
  problem(`the bundled template asks for ${bundledRange}, ${TEMPLATE} for ${templateRange}`)
if (changesets.length > 0) {
  console.log(`versions: checked at the release point; \`npm run release:version\` sets ${INITIALIZER} and ${TEMPLATE}`)
} else {
  const fix = '; run `node scripts/sync-versions.mjs`'
  if (initializer !== keel) problem(`create-fastify-keel is ${initializer}, fastify-keel ${keel}${fix}`)
  if (templateRange !== `^${keel}`) problem(`the template asks for fastify-keel@${templateRange}, not ^${keel}${fix}`)
  if (problems.length === 0) console.log(`versions: fastify-keel and create-fastify-keel ${keel}, template ^${keel}`)
}

if (problems.length > 0) {
  console.error(`\nrelease check FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  process.exit(1)
}
console.log('\nrelease check: clean')
