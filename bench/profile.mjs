#!/usr/bin/env node
// Summarises a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof`): the functions with the most self
// time, and self time grouped by source (a keel src file, a package in node_modules, node internals).
//   node bench/profile.mjs bench/results/profiles/keel-pass1.cpuprofile [--top 20]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Where a profile node's code lives: `src/security/plugin.ts`, `@fastify/helmet`, `node:internal`, … */
export function sourceOf(url) {
  if (!url) return '(native / V8)'
  if (url.startsWith('node:')) return 'node:internal'
  const modules = url.lastIndexOf('/node_modules/')
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  const src = url.indexOf('/src/')
  if (src !== -1) return url.slice(src + 1)
  const bench = url.indexOf('/bench/')
  if (bench !== -1) return url.slice(bench + 1)
  return url.replace(/^file:\/\//, '')
}

/** Top self-time functions and sources of one profile, as two markdown tables. */
export function summarizeProfile(file, { top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1
  const idle = new Set(['(idle)', '(program)', '(garbage collector)'])
  const functions = new Map()
  const sources = new Map()
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)
    const name = callFrame.functionName || '(anonymous)'
    const source = idle.has(name) ? name : sourceOf(callFrame.url)
    const key = `${name} ${source}:${callFrame.lineNumber + 1}`
    functions.set(key, (functions.get(key) ?? 0) + micros)
    sources.set(source, (sources.get(source) ?? 0) + micros)
  }
  const table = (title, map) => {
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    return [
      `| ${title} | self ms | % |`,
      '|---|---:|---:|',
      ...rows.map(
        ([k, v]) => `| ${k.replaceAll('|', '\\|')} | ${(v / 1000).toFixed(0)} | ${((100 * v) / total).toFixed(1)} |`,
      ),
    ].join('\n')
  }
  return `${table('function (source:line)', functions)}\n\n${table('source', sources)}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const topAt = args.indexOf('--top')
  const top = topAt === -1 ? 15 : Number(args.splice(topAt, 2)[1])
  for (const file of args) process.stdout.write(`### ${file}\n\n${summarizeProfile(file, { top })}\n\n`)
}
