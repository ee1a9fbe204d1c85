#!/usr/bin/env node
// Part of `npm run release:version`, after `changeset version` has bumped fastify-keel: the packages released
// with it follow. create-fastify-keel takes keel's version (changesets versions only the root package of this
// single-package repository, so it cannot list the initializer in `fixed`), the template asks for
// `fastify-keel@^<version>`, and package-lock.json records the root's new version.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const INITIALIZER = 'packages/create-fastify-keel/package.json'
export const TEMPLATE = 'examples/user-api/package.json'

/** The JSON at `path` (under `root`), changed by `edit`, written back with npm's formatting; returns what changed. */
function update(root, path, edit) {
  const file = join(root, path)
  const text = readFileSync(file, 'utf8')
  const json = JSON.parse(text)
  const change = edit(json)
  if (change !== undefined) writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`)
  return change === undefined ? [] : [`${path}: ${change}`]
}

/**
 * Brings the initializer, the template and the lockfile to the root package's version.
 *
 * @param root the repository folder
 * @returns one line per file changed
 */
export function syncVersions(root) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const range = `^${version}`
  return [
    ...update(root, INITIALIZER, (pkg) => {
      if (pkg.version === version) return undefined
      const from = pkg.version
      pkg.version = version
      return `version ${from} → ${version}`
    }),
    ...update(root, TEMPLATE, (pkg) => {
      const from = pkg.dependencies?.['fastify-keel']
      if (from === range) return undefined
      pkg.dependencies = { ...pkg.dependencies, 'fastify-keel': range }
      return `fastify-keel ${from} → ${range}`
    }),
    ...update(root, 'package-lock.json', (lock) => {
      if (lock.version === version && lock.packages?.['']?.version === version) return undefined
      const from = lock.version
      lock.version = version
      if (lock.packages?.[''] !== undefined) lock.packages[''].version = version
      return `version ${from} → ${version}`
    }),
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changes = syncVersions(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)))
  console.log(changes.length === 0 ? 'sync-versions: already in step' : changes.join('\n'))
}
