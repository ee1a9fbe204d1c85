#!/usr/bin/env node
// The last step of `npm run release`, after `changeset publish` has published fastify-keel: publishes
// create-fastify-keel at the same version (its prepack bundles the template), unless the registry has it
// already, so a re-run of the release workflow is harmless. Provenance comes from NPM_CONFIG_PROVENANCE.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('../packages/create-fastify-keel/', import.meta.url))
const { name, version } = JSON.parse(readFileSync(`${dir}package.json`, 'utf8'))
const known = spawnSync('npm', ['view', `${name}@${version}`, 'version'], { encoding: 'utf8' })
if (known.status === 0 && known.stdout.trim() === version) {
  console.log(`${name}@${version} is on the registry already`)
} else {
  execFileSync('npm', ['publish', '--access', 'public'], { cwd: dir, stdio: 'inherit' })
  console.log(`published ${name}@${version}`)
}
