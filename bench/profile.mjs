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

/** Code a plugin owner can act on: keel sources, the bench's own route, and the third-party plugins. */
const PLUGIN_PACKAGES = new Set(['fast-jwt', 'helmet', 'cors', 'express-rate-limit', 'jsonwebtoken', 'express'])
function isPluginLevel(source) {
  return (
    source.startsWith('src/') ||
    source.startsWith('bench/') ||
    source.startsWith('@fastify/') ||
    PLUGIN_PACKAGES.has(source)
  )
}

/**
 * Top functions and sources of one profile, as markdown tables: time attributed to the innermost keel frame
 * (else plugin-level frame) on the stack, i.e. the hook or handler responsible including what it calls in
 * Fastify and Node; then self time per function and per source.
 */
export function summarizeProfile(file, { top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Innermost keel frame (src/…) on each node's stack, else innermost plugin-level frame. Innermost, because a
  // callback-style hook (e.g. @fastify/cors) calls next() synchronously and so sits under the rest of the request.
  const label = (callFrame) =>
    `${callFrame.functionName || '(anonymous)'} ${sourceOf(callFrame.url)}:${callFrame.lineNumber + 1}`
  const memo = new Map()
  const ownersOf = (id) => {
    if (memo.has(id)) return memo.get(id)
    const { callFrame } = byId.get(id)
    const up = parent.has(id) ? ownersOf(parent.get(id)) : { keel: undefined, plugin: undefined }
    const source = sourceOf(callFrame.url)
    const mine = {
      keel: source.startsWith('src/') ? label(callFrame) : up.keel,
      plugin: isPluginLevel(source) ? label(callFrame) : up.plugin,
    }
    memo.set(id, mine)
    return mine
  }
  const ownerOf = (id) => {
    const { keel, plugin } = ownersOf(id)
    return keel ?? plugin
  }
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
  const owners = new Map()
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)
    const name = callFrame.functionName || '(anonymous)'
    const source = idle.has(name) ? name : sourceOf(callFrame.url)
    const responsible = idle.has(name) ? name : (ownerOf(id) ?? 'Fastify core and Node (no plugin frame on the stack)')
    owners.set(responsible, (owners.get(responsible) ?? 0) + micros)
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
  return [
    table('responsible hook / handler (innermost keel, else plugin frame; inclusive)', owners),
    table('function (self time)', functions),
    table('source (self time)', sources),
  ].join('\n\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const topAt = args.indexOf('--top')
  const top = topAt === -1 ? 15 : Number(args.splice(topAt, 2)[1])
  for (const file of args) process.stdout.write(`### ${file}\n\n${summarizeProfile(file, { top })}\n\n`)
}
