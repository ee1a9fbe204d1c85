// The docs hold together: every relative link of the README, docs/*.md and the example's README reaches a file,
// and its #anchor a heading there (GitHub's slugs); the production page is linked from every page with a
// production concern.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'examples/user-api/README.md',
]
/** A page's text without its code blocks, where `#` and `](` mean something else. */
const prose = (file: string) => readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '')
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-')

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>()
  const anchors = new Set<string>()
  for (const [, heading = ''] of prose(file).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    anchors.add(count === 0 ? base : `${base}-${count}`)
  }
  return anchors
}

describe('docs', () => {
  it.each(pages)('should link only to files and headings that exist from %s', (page) => {
    const broken: string[] = []
    for (const [, href = ''] of prose(join(root, page)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(href)) continue
      const [path = '', anchor] = href.split('#')
      const target = path === '' ? join(root, page) : normalize(join(root, dirname(page), path))
      if (!existsSync(target)) broken.push(href)
      else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(href)
    }
    expect(broken).toEqual([])
  })

  it.each([
    'README.md',
    'docs/README.md',
    'docs/auth.md',
    'docs/security.md',
    'docs/health.md',
    'docs/errors.md',
    'docs/request-id.md',
    'docs/pagination.md',
    'docs/preset.md',
  ])('should link the production page from %s', (page) => {
    expect(readFileSync(join(root, page), 'utf8')).toMatch(/\]\((\.\/|docs\/)?production\.md/)
  })
})
