#!/usr/bin/env node
// Instructions per request under `valgrind --tool=callgrind`: a repeatable measure of CPU cost that other work on
// the machine does not disturb (wall-clock figures are noise on a shared machine). Each scenario's server child
// (the same bundle `npm run bench` runs) runs under callgrind; autocannon in this process sends a fixed number of
// requests to warm it up (V8 tiers up by call counts, not time), the counters are zeroed with callgrind_control,
// a fixed number of measured requests follows, and the counters are dumped. Instructions of every thread of the
// server (GC helpers included) ÷ requests; the ratio bare ÷ scenario approximates the CPU ratio of `npm run bench`.
// One connection by default: with several, how many requests one event-loop turn serves depends on how fast the
// load generator runs beside the slowed-down server, i.e. on the machine's load, and so does the count per request
// (it read 135,000 to 200,000 for bare Fastify); one request at a time repeats to within 0.1 %.
//
//   node bench/instructions.mjs --only bare,keel,keel+auth [--node 24] [--requests 4000] [--warmup 3000]
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildChildren, cannon, nodeBinary, ORIGIN, sanityCheck, startChild } from './run.mjs'

// Read by bench/servers.ts: under valgrind every turn of the event loop is slow enough to trip load shedding.
process.env.KEEL_BENCH_SLOW = '1'

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'bare,keel,keel+auth' },
    node: { type: 'string' },
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '1' },
    'no-build': { type: 'boolean', default: false },
  },
})
const scenarios = values.only.split(',').map((s) => s.trim())
const requests = Number(values.requests)
const warmup = Number(values.warmup)
const node = nodeBinary(values.node)
const outDir = join(process.cwd(), 'bench', 'results', 'callgrind')

function totalOf(file) {
  const text = readFileSync(file, 'utf8')
  const line = text.split('\n').find((l) => l.startsWith('summary:'))
  if (line === undefined) throw new Error(`no totals in ${file}`)
  return Number(line.split(/\s+/)[1])
}

async function measure(name) {
  const dir = join(outDir, name.replace(/[^a-z0-9]+/gi, '-'))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const wrap = [
    'valgrind',
    '--tool=callgrind',
    '--dump-instr=no',
    '--dump-line=no',
    `--callgrind-out-file=${dir}/cg.%p`,
  ]
  const handle = startChild(name, { tag: name, node, wrap, pin: false })
  try {
    const ready = await handle.next()
    if (ready.type !== 'ready') throw new Error(ready.message ?? ready.reason ?? ready.type)
    const url = `http://127.0.0.1:${ready.port}${ready.path}`
    await sanityCheck(url, ready)
    const request = {
      url,
      connections: Number(values.connections),
      headers: { origin: ORIGIN, ...ready.headers },
      timeout: 60,
    }
    await cannon({ ...request, amount: warmup })
    const pid = String(handle.child.pid)
    execFileSync('callgrind_control', ['-z', pid], { stdio: 'ignore' })
    const result = await cannon({ ...request, amount: requests })
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' })
    const bad = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => Number(code) !== ready.expectStatus)
    if (bad.length > 0 || result.errors > 0) throw new Error(`unexpected responses: ${JSON.stringify(bad)}`)
    const dumps = readdirSync(dir).filter((f) => /\.\d+\.\d+$/.test(f))
    const total = dumps.reduce((sum, f) => sum + totalOf(join(dir, f)), 0)
    return { name, perRequest: total / result.requests.total }
  } finally {
    await handle.exit()
  }
}

if (!values['no-build']) await buildChildren(scenarios)
const rows = []
for (const name of scenarios) {
  const row = await measure(name)
  rows.push(row)
  process.stderr.write(
    `  ${name.padEnd(20)} ${Math.round(row.perRequest).toLocaleString('en-US')} instructions/request\n`,
  )
}
const bare = rows.find((r) => r.name === 'bare')
process.stdout.write(
  `\nNode ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}, ${requests} requests after ${warmup} warm-up\n\n`,
)
process.stdout.write('| scenario | instructions/request | bare ÷ scenario |\n|---|---:|---:|\n')
for (const r of rows) {
  const ratio = bare ? (bare.perRequest / r.perRequest).toFixed(2) : '—'
  process.stdout.write(`| ${r.name} | ${Math.round(r.perRequest).toLocaleString('en-US')} | ${ratio} |\n`)
}
