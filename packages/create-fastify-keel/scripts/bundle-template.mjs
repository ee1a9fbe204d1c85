// prepack: bundles the repository's example app as template/ (without local state), with the repository's
// LICENSE, so the published package carries everything `create-fastify-keel` copies.
import { copyFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { copyTemplate, PACKED_GITIGNORE } from '../dist/template.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const target = here('../template/')
rmSync(target, { recursive: true, force: true })
const files = copyTemplate(here('../../../examples/user-api/'), target, (name) =>
  name === '.gitignore' ? PACKED_GITIGNORE : name,
)
copyFileSync(here('../../../LICENSE'), here('../LICENSE'))
console.log(`create-fastify-keel: bundled ${files.length} template files`)
