// The example is a template users copy out of the repository: its files may only import the package and its
// own files, and the test helpers it carries are copies of the repository's, kept identical here.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../', import.meta.url))
const template = join(root, 'examples/user-api')
const COPIED_HELPERS = ['services.ts', 'private-redis.ts']

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return ['node_modules', 'dist', '.data'].includes(entry.name) ? [] : sourceFiles(path)
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : []
  })
}

describe('example template', () => {
  it.each(COPIED_HELPERS)('should carry test/helpers/%s unchanged', (name) => {
    const copy = readFileSync(join(template, 'test/helpers', name), 'utf8')
    expect(copy).toBe(readFileSync(join(root, 'test/helpers', name), 'utf8'))
  })

  it('should import nothing from outside its own folder', () => {
    const escaping: string[] = []
    for (const file of sourceFiles(template)) {
      const text = readFileSync(file, 'utf8')
      for (const [, specifier] of text.matchAll(/(?:from\s+|import\(\s*|new URL\(\s*)'(\.[^']*)'/g)) {
        const target = resolve(join(file, '..'), specifier ?? '')
        if (relative(template, target).startsWith('..')) escaping.push(`${relative(template, file)}: ${specifier}`)
      }
    }
    expect(escaping).toEqual([])
  })
})
