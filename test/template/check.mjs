#!/usr/bin/env node
// `npm run test:template` (a stage of .ci/run): what a new user does, end to end, outside the repository.
// Packs fastify-keel and create-fastify-keel, runs the initializer from its tarball into a temporary folder
// with `--keel <the keel tarball>`, then in the new project: npm install, typecheck, test, build, npm start
// and one HTTP request to the liveness probe.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packKeel, root, step } from '../package/consumer.mjs'

const NPM_OFFLINE = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']
// In the new project, a new user's environment: no CI flag and no test services, so its tests take their
// defaults (embedded PGlite; the PostgreSQL and Redis suites skip). `npm test` in the repository runs the same
// tests against the real services.
const USER_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== 'CI' && !name.startsWith('KEEL_TEST_')),
)
const START_TIMEOUT_MS = 60_000

/** The newest modification time under `dir`, in ms. */
function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return latest
}

function fail(message) {
  console.error(`FAILED: ${message}`)
  process.exit(1)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** `npm start` in `project`, then GET `path` until it answers 200; the server is stopped either way. */
async function startAndProbe(project, path) {
  console.log(`\n--- npm start, then GET ${path}`)
  const started = Date.now()
  const port = await freePort()
  // Its own process group, so stopping it stops npm's child (the server) too.
  const server = spawn('npm', ['start', '--silent'], {
    cwd: project,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...USER_ENV, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'development' },
  })
  let output = ''
  server.stdout.on('data', (chunk) => (output += chunk))
  server.stderr.on('data', (chunk) => (output += chunk))
  let exited = false
  const exit = new Promise((resolve) => {
    server.once('exit', (code, signal) => {
      exited = true
      resolve(code ?? signal)
    })
  })
  try {
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Date.now() < deadline && !exited) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })
        if (response.status === 200) {
          console.log(`--- GET ${path}: 200 ${JSON.stringify(await response.json())} after ${Date.now() - started}ms`)
          return
        }
        fail(`GET ${path} answered ${response.status}: ${await response.text()}\n${output}`)
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
    fail(`npm start ${exited ? 'exited' : `did not answer on port ${port} within ${START_TIMEOUT_MS}ms`}:\n${output}`)
  } finally {
    if (!exited) process.kill(-server.pid, 'SIGTERM')
    const code = await exit
    console.log(`--- npm start: stopped (exit ${code})`)
  }
}

const work = mkdtempSync(join(tmpdir(), 'keel-template-'))
try {
  // `npm test` has just built dist/ when this runs after it; build again only when a source is newer.
  if (
    !existsSync(join(root, 'dist/index.js')) ||
    newest(join(root, 'src')) > statSync(join(root, 'dist/index.js')).mtimeMs
  ) {
    step('build fastify-keel', 'npm', ['run', 'build', '--silent'])
  }
  const keel = packKeel(work)
  step('npm pack create-fastify-keel (bundles the template)', 'npm', [
    'pack',
    './packages/create-fastify-keel',
    '--pack-destination',
    work,
    '--silent',
  ])
  const initializer = readdirSync(work).find((f) => /^create-fastify-keel-.+\.tgz$/.test(f))
  if (initializer === undefined) fail('npm pack produced no create-fastify-keel tarball')

  // What the README tells a user to run before the packages are on the registry.
  step(
    'npx create-fastify-keel my-api --keel <tarball>',
    'npx',
    ['--yes', `./${initializer}`, 'my-api', '--keel', keel],
    {
      cwd: work,
    },
  )
  const project = join(work, 'my-api')
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'))
  if (pkg.name !== 'my-api') fail(`package name is ${pkg.name}`)
  if (pkg.dependencies['fastify-keel'] !== `file:${keel}`) fail(`fastify-keel is ${pkg.dependencies['fastify-keel']}`)
  if (!/^JWT_SECRET=[\w-]{43}$/m.test(readFileSync(join(project, '.env'), 'utf8'))) fail('.env has no fresh JWT_SECRET')
  if (!readFileSync(join(project, '.gitignore'), 'utf8').split('\n').includes('.env')) fail('.gitignore lacks .env')
  for (const local of ['.data', 'node_modules', 'dist', '_gitignore']) {
    if (existsSync(join(project, local))) fail(`the new project has ${local}`)
  }
  console.log('--- the new project: named, fastify-keel from the tarball, fresh .env, .gitignore lists it')

  step('npm install (in the new project)', 'npm', ['install', ...NPM_OFFLINE], { cwd: project, env: USER_ENV })
  const missing = []
  for (const script of ['typecheck', 'test', 'build']) {
    if (pkg.scripts?.[script] === undefined) {
      missing.push(script)
      continue
    }
    step(`npm run ${script} (in the new project)`, 'npm', ['run', script, '--silent'], { cwd: project, env: USER_ENV })
  }
  await startAndProbe(project, '/health/live')
  if (missing.length > 0) {
    // The template gains these scripts with its stand-alone layout; until then say so loudly.
    console.warn(`\nWARNING: the template has no ${missing.join(', ')} script: not run`)
  }
  console.log('\ntemplate check: all steps passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
