#!/usr/bin/env node
// Runs after tsup: makes every `.d.cts` import its dependencies' types in import mode, as the `.d.ts` does.
//
// Why: a program may see both declaration builds (an `.mts` and a `.cts` file, or a dependency of each
// kind). Both add the same members to Fastify's interfaces (`declare module 'fastify'`), and TypeScript
// requires a member declared twice to have identical types (TS2717). Dependencies that ship one
// declaration file per format (helmet declares a `unique symbol` in each) would give the two builds two
// different types; TypeBox 1 ships ESM declarations only, which a CommonJS file may import only in import
// mode. Resolving every dependency in import mode from both builds gives one type per dependency, so the
// augmentations are identical by construction. Import attributes need TypeScript 5.3 or later.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dist = new URL('../dist/', import.meta.url).pathname
const ATTRIBUTE = "with { 'resolution-mode': 'import' }"

function declarationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return declarationFiles(path)
    return entry.name.endsWith('.d.cts') ? [path] : []
  })
}

/** One `import … from 'package';` line of a bundled declaration file, rewritten; null when not a package import. */
function rewrite(line) {
  const sideEffect = /^import '([^'.][^']*)';$/.exec(line)
  if (sideEffect) return `import type {} from '${sideEffect[1]}' ${ATTRIBUTE};`
  const match = /^import (.+) from '([^'.][^']*)';$/.exec(line)
  if (!match) return null
  const [, clause, specifier] = match
  const from = `from '${specifier}' ${ATTRIBUTE};`
  // A type-only import names a default or bindings, never both.
  const both = /^([A-Za-z_$][\w$]*), (\{.*\}|\* as [A-Za-z_$][\w$]*)$/.exec(clause)
  if (both) return `import type ${both[1]} ${from}\nimport type ${both[2]} ${from}`
  return `import type ${clause} ${from}`
}

let changed = 0
for (const file of declarationFiles(dist)) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out = lines.map((line) => {
    if (!line.startsWith('import ') || /'\./.test(line) || line.includes(ATTRIBUTE)) return line
    const rewritten = rewrite(line)
    if (rewritten === null) throw new Error(`${file}: cannot rewrite the import line: ${line}`)
    changed++
    return rewritten
  })
  writeFileSync(file, out.join('\n'))
}
console.log(`cjs-declarations: ${changed} package imports now resolve in import mode`)
