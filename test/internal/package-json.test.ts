import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))

describe('package.json', () => {
  // moduleResolution node10 ignores `exports`; a subpath missing here is TS2307 there.
  it('should map every subpath of exports to its CommonJS declarations in typesVersions', () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((key) => key !== '.' && key !== './package.json')
      .map((key) => key.slice(2))
    const expected = Object.fromEntries(subpaths.map((sub) => [sub, [`./dist/${sub}/index.d.cts`]]))
    expect(pkg.typesVersions).toEqual({ '*': expected })
  })
})
