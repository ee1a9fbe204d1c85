#!/usr/bin/env node
// Every TypeScript and JavaScript block of the README, docs/*.md and the example's README, checked against the
// packed package in a consumer project (the dependency versions a new user installs):
// - a complete block is type-checked strictly, compiled and run: it boots, every route it declares answers an
//   empty request without a 5xx, and it closes;
// - a block marked `<!-- sample: partial -->` (a fragment: `app`, `handler`… come from around it) is
//   type-checked against fixtures/docs-harness/harness.d.mts, which declares those names. `partial, inside: <code>`
//   puts the block where `…` stands in <code> (an object literal becomes an option of a typed constant);
// - a block that augments a module is type-checked with the partial ones: an augmentation reaches every file of a
//   program, so it must not reach the complete blocks;
// - `<!-- sample: skip <reason> -->` leaves a block out, and the run lists it with its reason.
// Other languages (sh, json, http, yaml, sql, text…) are not code for users to run; a block without a language
// fails the run, so no code hides from it.
// Alone: `node test/package/docs-samples.mjs` (a consumer of its own, removed after; KEEL_SAMPLES_KEEP=1 keeps it,
// KEEL_SAMPLES_WORK=<dir> reuses a kept one, with the tarball it was made with).
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bin, createConsumer, root } from './consumer.mjs'

/** The pages whose samples run. */
export function samplePages() {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
  return ['README.md', ...docs.sort(), 'examples/user-api/README.md']
}

/** Packages the samples import, beyond keel and its peers, at the ranges the repository tests with. */
export function sampleDependencies() {
  const { devDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const names = [
    'fastify',
    '@electric-sql/pglite',
    '@fastify/cookie',
    '@fastify/jwt',
    '@fastify/swagger',
    '@fastify/swagger-ui',
    '@types/pg',
    'ioredis',
    'jose',
    'pg',
    'vitest',
  ]
  return Object.fromEntries(names.map((name) => [name, devDependencies[name]]))
}

const CODE = new Map([
  ['ts', 'mts'],
  ['typescript', 'mts'],
  ['mts', 'mts'],
  ['js', 'mjs'],
  ['javascript', 'mjs'],
  ['mjs', 'mjs'],
])
const KINDS = ['run', 'partial', 'augment', 'browser', 'skip']
const COMPILER_OPTIONS = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  moduleDetection: 'force',
  target: 'ES2022',
  lib: ['ES2023'],
  strict: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
  types: ['node'],
  noEmit: true,
}
/** One TypeScript program per kind of sample: a module augmentation or the DOM would reach every file of one. */
const PROGRAMS = [
  {
    title: 'complete samples: type check and compile',
    kinds: ['run'],
    harness: [],
    compilerOptions: { noEmit: false, outDir: 'samples-out', rootDir: '.' },
  },
  {
    title: 'partial samples and module augmentations: type check in the harness',
    kinds: ['partial', 'augment'],
    harness: ['docs-harness/harness.d.mts'],
  },
  {
    title: 'browser samples: type check with the DOM library',
    kinds: ['browser'],
    harness: ['docs-harness/browser.d.mts'],
    compilerOptions: { lib: ['ES2023', 'DOM'], types: [] },
  },
]
const MARKER = /^<!--\s*sample:\s*(partial|browser|skip)\b(.*?)\s*-->$/

/**
 * The code blocks of one page: `{ page, line, ext, code, kind, reason?, inside? }`, `line` being the opening fence's
 * (1-based), `kind` one of `run`, `partial`, `augment`, `skip`. Throws on a block without a language, an unknown
 * marker, a skip without a reason, and a partial `inside` without `…`.
 */
export function extractSamples(page, text = readFileSync(join(root, page), 'utf8')) {
  const lines = text.split('\n')
  const samples = []
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(.*)$/.exec(lines[i])
    if (!fence) continue
    const [, ticks, info] = fence
    let end = i + 1
    while (end < lines.length && !lines[end].startsWith(ticks)) end++
    const where = `${page}:${i + 1}`
    const lang = info.trim().split(/\s+/)[0]
    if (lang === '') throw new Error(`${where}: a code block without a language (write \`\`\`text for output)`)
    const ext = CODE.get(lang)
    const marker = markerAbove(lines, i, where)
    if (ext !== undefined) {
      const code = lines.slice(i + 1, end).join('\n')
      const sample = { page, line: i + 1, ext, code, kind: 'run' }
      if (marker?.kind === 'skip') Object.assign(sample, { kind: 'skip', reason: marker.rest })
      else if (marker?.kind === 'partial') Object.assign(sample, { kind: 'partial', inside: marker.inside })
      else if (marker?.kind === 'browser') sample.kind = 'browser'
      else if (/^declare (module|global)\b/m.test(code)) sample.kind = 'augment'
      samples.push(sample)
    } else if (marker) throw new Error(`${where}: a sample marker on a \`\`\`${lang} block, which never runs`)
    i = end
  }
  return samples
}

function markerAbove(lines, fence, where) {
  for (let j = fence - 1; j >= 0 && /^\s*(<!--.*-->)?\s*$/.test(lines[j]); j--) {
    const comment = lines[j].trim()
    if (!comment.startsWith('<!-- sample')) continue
    const match = MARKER.exec(comment)
    if (!match) throw new Error(`${where}: unknown sample marker ${comment}`)
    const [, kind, rawRest] = match
    const rest = rawRest.replace(/^[,:]?\s*/, '')
    if (kind === 'skip' && rest.length < 10) throw new Error(`${where}: \`sample: skip\` needs a reason`)
    let inside
    if (kind === 'partial' && rest !== '') {
      const template = /^inside:\s*(.+)$/.exec(rest)?.[1]
      if (!template?.includes('…')) throw new Error(`${where}: write \`sample: partial, inside: <code with …>\``)
      inside = template
    }
    return { kind, rest, inside }
  }
  return undefined
}

/** The file name of a sample in the consumer: `<page slug>-<line>.<ext>`. */
const fileOf = (sample) =>
  `${sample.page.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-${sample.line}.${sample.ext}`

/** The source written for a sample and how many lines precede its first line. */
function sourceOf(sample) {
  if (sample.inside === undefined) return { text: `${sample.code}\n`, offset: 0 }
  const [before, after] = sample.inside.split('…')
  return { text: `${before}\n${sample.code}\n${after}\n`, offset: 1 }
}

/** Rewrites tsc's `samples/x.mts(3,5)` locations into `docs/page.md:line:col`. */
function toDocLocations(output, byFile) {
  return output.replace(/(?:^|(?<=\n))(?:samples\/)?([\w.-]+\.m[tj]s)\((\d+),(\d+)\)/g, (whole, file, line, col) => {
    const entry = byFile.get(file)
    if (!entry) return whole
    return `${entry.sample.page}:${entry.sample.line + Number(line) - entry.offset}:${col}`
  })
}

/** Runs a command to its end, collecting its output: `{ code, signal, stdout, stderr, seconds }`. */
function run(file, args, options) {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, signal: error?.signal ?? null, stdout, stderr, seconds })
    })
  })
}

/** The environment the samples read, as a deployment would set it. */
const SAMPLE_ENV = {
  JWT_SECRET: randomBytes(32).toString('base64url'),
  CURSOR_SECRET: randomBytes(32).toString('base64url'),
  APP_VERSION: '1.0.0',
  // An identity provider on a loopback port nothing listens on: its keys are fetched only for a bearer token.
  OIDC_ISSUER: 'http://127.0.0.1:9',
  API_AUDIENCE: 'https://api.example.com',
}

const SERVICES = [
  ['DATABASE_URL', 'KEEL_TEST_DATABASE_URL'],
  ['REDIS_URL', 'KEEL_TEST_REDIS_URL'],
]

/**
 * Checks every sample in the consumer project `work` (made by {@link createConsumer} with
 * {@link sampleDependencies}). Returns the list of failures (empty when every sample passed).
 */
export async function runDocsSamples(work) {
  const samples = samplePages().flatMap((page) => extractSamples(page))
  const dir = join(work, 'samples')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(join(root, 'test/package/fixtures/docs-harness'), join(work, 'docs-harness'), { recursive: true })
  const byFile = new Map()
  for (const sample of samples.filter((s) => s.kind !== 'skip')) {
    const { text, offset } = sourceOf(sample)
    const file = fileOf(sample)
    writeFileSync(join(dir, file), text)
    byFile.set(file, { sample, offset })
  }
  const filesOf = (kinds) =>
    [...byFile].filter(([, { sample }]) => kinds.includes(sample.kind)).map(([file]) => `samples/${file}`)
  const failures = []
  const counts = Object.fromEntries(KINDS.map((kind) => [kind, 0]))
  for (const s of samples) counts[s.kind]++
  console.log(
    `\n--- docs samples: ${samples.length} blocks in ${samplePages().length} pages: ${counts.run} complete ` +
      `(type-checked and run), ${counts.partial} partial, ${counts.augment} module augmentations and ` +
      `${counts.browser} for the browser (type-checked), ${counts.skip} skipped`,
  )
  for (const s of samples.filter((x) => x.kind === 'skip')) console.log(`    skipped ${s.page}:${s.line}: ${s.reason}`)

  const checks = PROGRAMS.map(async ({ title, kinds, harness, compilerOptions }, i) => {
    const project = `tsconfig.samples-${i}.json`
    const options = { ...COMPILER_OPTIONS, ...compilerOptions }
    writeFileSync(
      join(work, project),
      JSON.stringify({ compilerOptions: options, files: [...harness, ...filesOf(kinds)] }),
    )
    const result = await run(bin('tsc'), ['-p', project, '--pretty', 'false'], { cwd: work })
    console.log(`--- ${title}: ${result.seconds}s`)
    if (result.code !== 0) {
      console.error(toDocLocations(`${result.stdout}${result.stderr}`, byFile))
      failures.push(title)
    }
  })
  await Promise.all(checks)
  if (failures.length > 0) return failures

  const env = { ...process.env, ...SAMPLE_ENV }
  const missing = []
  for (const [name, from] of SERVICES) {
    if (process.env[from]) env[name] = process.env[from]
    else missing.push(name)
  }
  const ci = process.env.CI === 'true' || process.env.CI === '1'
  const toRun = []
  for (const [file, { sample }] of byFile) {
    if (sample.kind !== 'run') continue
    const needs = missing.filter((name) => sample.code.includes(`process.env.${name}`))
    if (needs.length === 0) toRun.push({ where: `${sample.page}:${sample.line}`, file })
    else if (ci) failures.push(`${sample.page}:${sample.line} needs ${needs.join(', ')} (set KEEL_TEST_* under CI)`)
    else console.warn(`    [skip] not run: ${sample.page}:${sample.line} needs ${needs.join(', ')}`)
  }
  const plan = join(work, 'samples-out', 'plan.json')
  writeFileSync(
    plan,
    JSON.stringify(
      toRun.map(({ where, file }) => ({
        where,
        url: pathToFileURL(join(work, 'samples-out', 'samples', file.replace(/\.mts$/, '.mjs'))).href,
      })),
    ),
  )
  const result = await run(process.execPath, ['docs-harness/run.mjs', plan], {
    cwd: work,
    env,
    timeout: 120_000,
  })
  console.log(`--- run the complete samples (${toRun.length}): ${result.seconds}s`)
  process.stderr.write(result.stderr)
  if (result.code !== 0) {
    console.error(`the samples' own output (last 40 lines):\n${result.stdout.split('\n').slice(-40).join('\n')}`)
    failures.push(`run the complete samples${result.signal ? ` (${result.signal})` : ''}`)
  }
  return failures
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const reuse = process.env.KEEL_SAMPLES_WORK
  const keep = reuse !== undefined || process.env.KEEL_SAMPLES_KEEP === '1'
  const work = reuse ?? createConsumer(sampleDependencies())
  try {
    const failures = await runDocsSamples(work)
    if (failures.length > 0) {
      console.error(`FAILED at: docs samples (${failures.join('; ')})`)
      process.exitCode = 1
    } else console.log('\ndocs samples: all passed')
  } finally {
    if (keep) console.log(`consumer kept: KEEL_SAMPLES_WORK=${work} node test/package/docs-samples.mjs`)
    else rmSync(work, { recursive: true, force: true })
  }
}
