#!/usr/bin/env node
// Runs after tsup: leaves one set of type declarations, the `.d.cts` files, for both builds.
//
// Why: a program may see both builds (an `.mts` and a `.cts` file, or a dependency of each kind). Two
// declaration sets declare every keel type twice, and TypeScript needs the members keel adds to Fastify's
// interfaces (`declare module 'fastify'`) to have identical types in both (TS2717), which two copies of a
// class (`HttpError`) or of a dependency's `unique symbol` (helmet ships one declaration file per format)
// never are; a user's `declare module 'fastify-keel/auth' { interface KeelUser … }` would also reach one
// copy only. So:
// 1. Each entry's `.d.ts` re-exports its `.d.cts` (an ES module may import a CommonJS one), and the ESM
//    declaration chunks go: every type is declared once and the augmentations run once.
// 2. The `.d.cts` files import their dependencies' types in import mode: TypeBox 1 ships ESM declarations
//    only, which a CommonJS file may import only so, and ESM users get the dependency types they import
//    themselves. Import attributes need TypeScript 5.3 or later.
// The JavaScript builds stay two; keel recognises its classes across them (`Symbol.hasInstance`).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const ATTRIBUTE = "with { 'resolution-mode': 'import' }"

function files(dir, suffix) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return files(path, suffix)
    return entry.name.endsWith(suffix) ? [path] : []
  })
}

/** One `import … from 'package';` line of a bundled declaration file, rewritten; null when not understood. */
function rewriteImport(line) {
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

let rewritten = 0
for (const file of files(dist, '.d.cts')) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out = lines.map((line) => {
    // Relative imports stay; Node builtins are ambient modules, the same in both modes.
    if (!line.startsWith('import ') || /'(\.|node:)/.test(line) || line.includes(ATTRIBUTE)) return line
    const result = rewriteImport(line)
    if (result === null) throw new Error(`${relative(root, file)}: cannot rewrite the import line: ${line}`)
    rewritten++
    return result
  })
  writeFileSync(file, out.join('\n'))
}

// The ESM entries' declarations, as package.json#exports names them.
const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const entries = new Set(
  Object.values(exports)
    .map((target) => target?.import?.types)
    .filter((types) => typeof types === 'string')
    .map((types) => join(root, types)),
)
let shims = 0
let removed = 0
for (const file of files(dist, '.d.ts')) {
  if (!entries.has(file)) {
    rmSync(file)
    removed++
    continue
  }
  const cjs = `./${basename(file, '.d.ts')}.cjs`
  const declarations = readFileSync(join(dirname(file), `${basename(file, '.d.ts')}.d.cts`), 'utf8')
  if (/^export default /m.test(declarations)) throw new Error(`${relative(root, file)}: unexpected export default`)
  const defaultExport = /\b([A-Za-z_$][\w$]*) as default\b/.exec(declarations)?.[1]
  let shim = `// The same declarations as the CommonJS build (scripts/declarations.mjs says why).\nexport * from '${cjs}';\n`
  if (defaultExport) shim += `export { ${defaultExport} as default } from '${cjs}';\n`
  writeFileSync(file, shim)
  shims++
}
if (shims !== entries.size) throw new Error(`declarations: ${shims} ESM entries written, ${entries.size} expected`)
console.log(
  `declarations: ${rewritten} package imports in import mode; ${shims} ESM entries re-export the CommonJS declarations; ${removed} ESM chunks removed`,
)
