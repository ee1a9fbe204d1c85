#!/usr/bin/env node
// `npm run bench`: every server in its own child process (pinned to core 0), autocannon in this process
// (pinned to core 1), a warm-up per server, interleaved passes, and a markdown table with the ratios
// against bare Fastify measured in the same run. See docs/benchmarks.md.
//
//   npm run bench                      all scenarios, 3 s warm-up + 10 s per pass, 2 passes
//   npm run bench -- --quick           2 s per scenario, one pass
//   npm run bench -- --only bare,keel  chosen scenarios (comma list)
//   npm run bench -- --ablation        each keel plugin alone on bare Fastify
//   npm run bench -- --cpu-prof        write a V8 CPU profile per server to bench/results/profiles/
//   options: --passes N --duration S --warmup S --connections N --check-budget
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { summarizeProfile } from './profile.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const resultsDir = join(root, 'bench', 'results')
/**
 * What the server children run: a copy of the package (tsup build of the sources, with the package's
 * `name`, `type` and `exports`) and the bundled child script inside it, so `import('fastify-keel')`
 * resolves to the built files by the package's self-reference, as in a user's app.
 */
const packageDir = join(resultsDir, 'package')
const childScript = join(packageDir, 'bench-child.js')
const ORIGIN = 'https://app.example.com'

/** Scenario names in table order; must match bench/servers.ts and bench/rotation.ts. */
export const MAIN = [
  'bare',
  'hand-wired',
  'hand-wired+jwt',
  'express',
  'keel',
  'keel+auth',
  'keel+auth (session-bound)',
  'keel+jwks',
  'keel list',
  'keel 404',
  'keel legacy headers',
  'keel 3 policies',
]
export const ROTATION = ['rotate memory', 'rotate redis']
export const ABLATION = [
  'bare',
  'bare+request-id',
  'bare+errors',
  'bare+security',
  'bare+health',
  'bare+pagination',
  'bare+auth',
]

/** The budget from issue 9: [label, scenario, baseline, kind, target]. */
const BUDGET = [
  ['keel ≥ 0.75 × bare', 'keel', 'bare', 'rps', 0.75],
  ['keel ≥ 1.7 × hand-wired', 'keel', 'hand-wired', 'rps', 1.7],
  ['keel+auth ≥ 0.55 × bare', 'keel+auth', 'bare', 'rps', 0.55],
  ['keel+auth ≥ 1.7 × hand-wired+jwt', 'keel+auth', 'hand-wired+jwt', 'rps', 1.7],
  ['keel list ≥ 0.40 × bare', 'keel list', 'bare', 'rps', 0.4],
  ['keel 404 ≥ 0.5 × bare', 'keel 404', 'bare', 'rps', 0.5],
  ['RSS keel ≤ 1.25 × bare', 'keel', 'bare', 'rss', 1.25],
]

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      ablation: { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      passes: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'check-budget': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  const number = (name, fallback) => {
    if (values[name] === undefined) return fallback
    const n = Number(values[name])
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${values[name]}"`)
    return n
  }
  const all = values.ablation ? ABLATION : [...MAIN, ...ROTATION]
  const known = [...new Set([...MAIN, ...ROTATION, ...ABLATION])]
  let scenarios = all
  if (values.only !== undefined) {
    scenarios = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const unknown = scenarios.filter((s) => !known.includes(s))
    if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${known.join(', ')}`)
  }
  return {
    help: values.help,
    scenarios,
    passes: Math.round(number('passes', values.quick ? 1 : 2)),
    duration: number('duration', values.quick ? 2 : 10),
    warmup: number('warmup', values.quick ? 0.5 : 3),
    connections: Math.round(number('connections', 50)),
    cpuProf: values['cpu-prof'],
    checkBudget: values['check-budget'],
    mode: values.ablation ? 'ablation' : values.quick ? 'quick' : 'full',
  }
}

const log = (line) => process.stderr.write(`${line}\n`)
const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0 && cpus().length >= 2

/** Pins this process (the load generator) to core 1. */
function pinSelf() {
  if (!hasTaskset) return false
  try {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Scenarios whose server loads nothing from fastify-keel: they need no build. */
const THIRD_PARTY_ONLY = ['bare', 'hand-wired', 'hand-wired+jwt', 'express']

/**
 * Builds what the children run: the package with the project's tsup config (into bench/results/package,
 * never the shared dist/; no .d.ts, which nothing here reads) when a selected scenario loads keel, and
 * bench/child.ts bundled by esbuild with every package left external (under a second either way).
 */
async function buildChildren(scenarios) {
  rmSync(packageDir, { recursive: true, force: true })
  mkdirSync(packageDir, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  writeFileSync(
    join(packageDir, 'package.json'),
    `${JSON.stringify({ name: manifest.name, private: true, type: manifest.type, exports: manifest.exports }, null, 2)}\n`,
  )
  if (scenarios.some((name) => !THIRD_PARTY_ONLY.includes(name))) {
    const started = Date.now()
    const { build } = await import('tsup')
    await build({ outDir: join(packageDir, 'dist'), dts: false, sourcemap: false, silent: true })
    log(`bench: built fastify-keel with tsup in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  const esbuild = await import('esbuild')
  await esbuild.build({
    entryPoints: { 'bench-child': join(root, 'bench', 'child.ts') },
    outdir: packageDir,
    // Split, so bench/rotation.ts (and ioredis with it) stays a lazy import as in the sources.
    splitting: true,
    bundle: true,
    // tsconfig's paths would map fastify-keel to src/: keep it external, so it resolves to the build.
    packages: 'external',
    external: ['fastify-keel', 'fastify-keel/*'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  })
}

/** Starts one server child (pinned to core 0) and waits for its first message. */
function startChild(name, { cpuProf, tag }) {
  const nodeArgs = []
  if (cpuProf) {
    // One folder per child: node writes one profile per thread.
    const dir = join(resultsDir, 'profiles', tag)
    mkdirSync(dir, { recursive: true })
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`)
  }
  const args = [...nodeArgs, childScript, name]
  const [command, commandArgs] = hasTaskset
    ? ['taskset', ['-c', '0', process.execPath, ...args]]
    : [process.execPath, args]
  const child = spawn(command, commandArgs, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk).slice(-4000)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const waiters = []
  const inbox = []
  child.on('message', (message) => {
    const waiter = waiters.shift()
    if (waiter) waiter.resolve(message)
    else inbox.push(message)
  })
  child.on('exit', (code, signal) => {
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`server exited (${signal ?? code}) before answering. Output:\n${output}`))
    }
  })
  const next = () =>
    new Promise((resolve, reject) => {
      const queued = inbox.shift()
      if (queued) resolve(queued)
      else if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`server exited (${child.signalCode ?? child.exitCode}). Output:\n${output}`))
      } else waiters.push({ resolve, reject })
    })
  const ask = async (message, expected) => {
    child.send(message)
    const answer = await next()
    if (answer.type === 'error') throw new Error(answer.message)
    if (answer.type !== expected) throw new Error(`expected "${expected}" from the server, got "${answer.type}"`)
    return answer
  }
  const exit = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.send({ type: 'exit' })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
    if (cpuProf) keepMainThreadProfile(tag)
  }
  return { child, next, ask, exit }
}

/** Keeps the biggest profile of a child (its main thread) as profiles/<tag>.cpuprofile. */
function keepMainThreadProfile(tag) {
  const dir = join(resultsDir, 'profiles', tag)
  const files = readdirSync(dir)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)
  if (files[0]) renameSync(files[0], join(resultsDir, 'profiles', `${tag}.cpuprofile`))
  rmSync(dir, { recursive: true, force: true })
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon(opts, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

/** Checks one response by hand before loading the server, so the run never measures 401s or 429s. */
async function sanityCheck(url, ready) {
  const response = await fetch(url, { headers: { origin: ORIGIN, ...ready.headers } })
  const body = await response.text()
  const type = response.headers.get('content-type') ?? ''
  if (response.status !== ready.expectStatus || !type.includes(ready.expectContentType)) {
    throw new Error(
      `sanity check: expected ${ready.expectStatus} ${ready.expectContentType}, got ${response.status} ${type}: ${body.slice(0, 300)}`,
    )
  }
}

async function runHttp(name, config, pass) {
  const handle = startChild(name, { cpuProf: config.cpuProf, tag: `${slug(name)}-pass${pass}` })
  try {
    const ready = await handle.next()
    if (ready.type === 'skipped') return { name, status: 'skipped', reason: ready.reason }
    if (ready.type === 'error') throw new Error(ready.message)
    const url = `http://127.0.0.1:${ready.port}${ready.path}`
    await sanityCheck(url, ready)
    const request = { url, connections: config.connections, headers: { origin: ORIGIN, ...ready.headers } }
    await cannon({ ...request, duration: config.warmup })
    await handle.ask({ type: 'start' }, 'started')
    const result = await cannon({ ...request, duration: config.duration })
    const stats = await handle.ask({ type: 'stop' }, 'stats')
    const requests = result.requests.total
    const unexpected = Object.entries(result.statusCodeStats ?? {})
      .filter(([code]) => Number(code) !== ready.expectStatus)
      .map(([code, { count }]) => `${count}×${code}`)
    const problems = [...unexpected]
    if (result.errors > 0) problems.push(`${result.errors} socket errors`)
    if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`)
    return {
      name,
      status: problems.length > 0 ? 'error' : 'ok',
      reason: problems.length > 0 ? `unexpected responses: ${problems.join(', ')}` : undefined,
      rps: requests / result.duration,
      requests,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuPerRequest: requests > 0 ? stats.cpuMicros / requests : 0,
      rss: stats.rss,
    }
  } catch (error) {
    return { name, status: 'error', reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await handle.exit()
  }
}

async function runRotation(name, config, pass) {
  const handle = startChild(name, { cpuProf: config.cpuProf, tag: `${slug(name)}-pass${pass}` })
  try {
    const ready = await handle.next()
    if (ready.type === 'skipped') return { name, status: 'skipped', reason: ready.reason }
    if (ready.type === 'error') throw new Error(ready.message)
    const r = await handle.ask({ type: 'rotate', seconds: config.duration, warmup: config.warmup }, 'rotation')
    return {
      name,
      status: 'ok',
      rps: r.ops / r.seconds,
      requests: r.ops,
      p50: r.p50,
      p99: r.p99,
      cpuPerRequest: r.ops > 0 ? r.cpuMicros / r.ops : 0,
      rss: r.rss,
    }
  } catch (error) {
    return { name, status: 'error', reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await handle.exit()
  }
}

function slug(name) {
  return name.replace(/[^a-z0-9]+/gi, '-')
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

/** Folds the passes of one scenario into one row. */
function aggregate(name, runs) {
  const ok = runs.filter((r) => r.status === 'ok')
  const failed = runs.find((r) => r.status === 'error')
  const skipped = runs.find((r) => r.status === 'skipped')
  if (ok.length === 0 || failed) {
    const bad = failed ?? skipped
    return { name, status: bad?.status ?? 'error', reason: bad?.reason ?? 'no run' }
  }
  const requests = ok.reduce((a, r) => a + r.requests, 0)
  return {
    name,
    status: 'ok',
    rps: mean(ok.map((r) => r.rps)),
    passes: ok.map((r) => r.rps),
    p50: mean(ok.map((r) => r.p50)),
    p99: mean(ok.map((r) => r.p99)),
    cpuPerRequest: ok.reduce((a, r) => a + r.cpuPerRequest * r.requests, 0) / requests,
    rss: mean(ok.map((r) => r.rss)),
  }
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const mb = (bytes) => fmt(bytes / 1024 / 1024, 1)

function oneLine(text) {
  return String(text).split('\n')[0].replaceAll('|', '\\|').slice(0, 160)
}

/** The markdown tables: HTTP scenarios, rotation, and (when the scenarios are there) the budget. */
export function renderTables(rows, { ablation = false } = {}) {
  const out = []
  const bare = rows.find((r) => r.name === 'bare' && r.status === 'ok')
  const http = rows.filter((r) => !ROTATION.includes(r.name))
  const rotation = rows.filter((r) => ROTATION.includes(r.name))
  if (http.length > 0) {
    out.push(
      '| scenario | req/s | vs bare | p50 ms | p99 ms | server CPU µs/req | vs bare (CPU) | RSS MB | req/s per pass |',
    )
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|')
    for (const r of http) {
      if (r.status !== 'ok') {
        out.push(`| ${r.name} | ${r.status} (${oneLine(r.reason)}) | | | | | | | |`)
        continue
      }
      const ratio = bare ? fmt(r.rps / bare.rps, 2) : '—'
      const cpuRatio = bare ? fmt(bare.cpuPerRequest / r.cpuPerRequest, 2) : '—'
      const passes = r.passes.map((x) => fmt(x)).join(' / ')
      out.push(
        `| ${r.name} | ${fmt(r.rps)} | ${ratio} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.cpuPerRequest, 1)} | ${cpuRatio} | ${mb(r.rss)} | ${passes} |`,
      )
    }
  }
  if (rotation.length > 0) {
    out.push('')
    out.push('| scenario | rotations/s | p50 ms | p99 ms | server CPU µs/rotation | RSS MB | per pass |')
    out.push('|---|---:|---:|---:|---:|---:|---|')
    for (const r of rotation) {
      if (r.status !== 'ok') {
        out.push(`| ${r.name} | ${r.status} (${oneLine(r.reason)}) | | | | | |`)
        continue
      }
      out.push(
        `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuPerRequest, 1)} | ${mb(r.rss)} | ${r.passes.map((x) => fmt(x)).join(' / ')} |`,
      )
    }
  }
  const budget = ablation ? [] : budgetLines(rows)
  if (budget.length > 0) {
    out.push('')
    const show = (x) => (x === undefined ? '—' : fmt(x, 2))
    out.push('| budget | measured | | by server CPU per request |')
    out.push('|---|---:|---|---:|')
    for (const b of budget) out.push(`| ${b.label} | ${show(b.measured)} | ${b.verdict} | ${show(b.byCpu)} |`)
  }
  return out.join('\n')
}

/** Each budget line with its measured ratio and verdict (met / MISSED / not measured). */
export function budgetLines(rows) {
  const byName = new Map(rows.filter((r) => r.status === 'ok').map((r) => [r.name, r]))
  const present = new Set(rows.map((r) => r.name))
  return BUDGET.filter(([, a, b]) => present.has(a) || present.has(b)).map(([label, a, b, kind, target]) => {
    const x = byName.get(a)
    const y = byName.get(b)
    if (!x || !y) return { label, verdict: 'not measured' }
    const measured = kind === 'rss' ? x.rss / y.rss : x.rps / y.rps
    const met = kind === 'rss' ? measured <= target : measured >= target
    // The throughput ratio a CPU-bound server would reach: robust when other work shares the machine.
    const byCpu = kind === 'rss' ? undefined : y.cpuPerRequest / x.cpuPerRequest
    return { label, measured, target, met, verdict: met ? 'met' : 'MISSED', byCpu }
  })
}

function machine() {
  const list = cpus()
  const model = list[0]?.model ?? 'unknown CPU'
  return `${list.length} × ${model}, ${fmt(totalmem() / 1024 ** 3, 1)} GiB RAM, Node ${process.version}, ${process.platform}`
}

async function main() {
  const config = parseCli(process.argv.slice(2))
  if (config.help) {
    process.stdout.write(`${readHelp()}\n`)
    return
  }
  if (config.cpuProf) rmSync(join(resultsDir, 'profiles'), { recursive: true, force: true })
  await buildChildren(config.scenarios)
  const pinned = pinSelf()
  log(
    `bench: ${config.mode} mode, ${config.scenarios.length} scenario(s), ${config.passes} pass(es), ` +
      `${config.warmup} s warm-up + ${config.duration} s each, ${config.connections} connections, ` +
      (pinned ? 'server on core 0, load generator on core 1' : 'no CPU pinning (taskset missing or one core)'),
  )
  const loadBefore = loadavg()[0]
  const runs = new Map(config.scenarios.map((name) => [name, []]))
  // Interleaved: every scenario once per pass, so drift on a shared machine hits all of them alike.
  for (let pass = 1; pass <= config.passes; pass++) {
    for (const name of config.scenarios) {
      const previous = runs.get(name)
      if (previous.some((r) => r.status !== 'ok')) continue
      const run = ROTATION.includes(name) ? runRotation : runHttp
      const result = await run(name, config, pass)
      previous.push(result)
      const shown =
        result.status === 'ok'
          ? `${fmt(result.rps)} ${ROTATION.includes(name) ? 'rotations' : 'req'}/s`
          : `${result.status}: ${oneLine(result.reason)}`
      log(`  pass ${pass}/${config.passes}  ${name.padEnd(18)} ${shown}`)
    }
  }
  const rows = config.scenarios.map((name) => aggregate(name, runs.get(name)))
  const table = renderTables(rows, { ablation: config.mode === 'ablation' })
  const header = [
    `Machine: ${machine()}.`,
    `Method: autocannon ${config.connections} connections, ${config.warmup} s warm-up then ${config.duration} s per pass, ` +
      `${config.passes} interleaved pass(es), ${pinned ? 'server pinned to core 0 and load generator to core 1' : 'no CPU pinning'}.`,
    // Anything well above 1 on two cores means other work shared the machine: compare ratios, not req/s.
    `Load average (1 min): ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after.`,
  ].join('\n')
  process.stdout.write(`\n${header}\n\n${table}\n`)

  mkdirSync(resultsDir, { recursive: true })
  const stamp = new Date().toISOString()
  writeFileSync(join(resultsDir, `${config.mode}.md`), `Run ${stamp}\n\n${header}\n\n${table}\n`)
  writeFileSync(
    join(resultsDir, `${config.mode}.json`),
    JSON.stringify({ stamp, config, rows, runs: [...runs] }, null, 2),
  )

  if (config.cpuProf) printProfiles()

  const errors = rows.filter((r) => r.status === 'error')
  if (errors.length > 0) {
    log(`bench: ${errors.length} scenario(s) failed: ${errors.map((r) => r.name).join(', ')}`)
    process.exitCode = 1
  }
  if (config.checkBudget && budgetLines(rows).some((b) => b.met === false)) {
    log('bench: budget missed (--check-budget)')
    process.exitCode = 1
  }
}

function printProfiles() {
  const dir = join(resultsDir, 'profiles')
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  process.stdout.write(`\nCPU profiles in bench/results/profiles/ (top self time, whole server process):\n`)
  for (const file of files.sort()) {
    const summary = summarizeProfile(join(dir, file), { top: 12 })
    process.stdout.write(`\n### ${file}\n\n${summary}\n`)
  }
}

function readHelp() {
  return [
    'npm run bench [-- options]',
    '  --quick              2 s per scenario, one pass',
    '  --only a,b           run only these scenarios',
    '  --ablation           each keel plugin alone on bare Fastify',
    '  --cpu-prof           V8 CPU profile of every server child, in bench/results/profiles/',
    '  --passes N           interleaved passes (default 2, quick 1)',
    '  --duration S         seconds measured per pass (default 10, quick 2)',
    '  --warmup S           seconds of warm-up per server (default 3, quick 0.5)',
    '  --connections N      autocannon connections (default 50)',
    '  --check-budget       exit 1 when a budget line is missed',
    `scenarios: ${[...new Set([...MAIN, ...ROTATION, ...ABLATION])].join(', ')}`,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    log(`bench: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  })
}
