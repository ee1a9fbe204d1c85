// The pending changesets produce the release the issue asks for: every one names fastify-keel (the package
// changesets versions; create-fastify-keel follows it) with a minor or patch bump, so 0.x stays 0.x.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('../../.changeset/', import.meta.url))
const changesets = readdirSync(dir)
  .filter((file) => file.endsWith('.md') && file !== 'README.md')
  .map((file) => {
    const text = readFileSync(join(dir, file), 'utf8')
    const [, front = '', body = ''] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text) ?? []
    const releases = front
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => /^"([^"]+)": (\w+)$/.exec(line)?.slice(1) ?? [line])
    return { file, releases, body }
  })

describe('changesets', () => {
  // None is pending right after `npm run release:version`.
  it('should each have front matter and a summary', () => {
    for (const { file, releases, body } of changesets) {
      expect(releases.length, file).toBeGreaterThan(0)
      expect(body.trim(), file).not.toBe('')
    }
  })

  it.each(changesets.map((c) => [c.file, c] as const))('%s should bump fastify-keel by minor or patch', (_, c) => {
    for (const release of c.releases) {
      expect(release[0]).toBe('fastify-keel')
      expect(['minor', 'patch']).toContain(release[1])
    }
  })

  it.each(changesets.map((c) => [c.file, c] as const))('%s should be a minor when it says **Breaking', (_, c) => {
    if (c.body.includes('**Breaking')) expect(c.releases.map((r) => r[1])).toContain('minor')
  })
})
