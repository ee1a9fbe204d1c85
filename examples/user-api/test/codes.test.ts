import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { appErrorCodes } from '../src/codes.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('example error codes', () => {
  it('should document every code with its status in the README table', () => {
    const rows = [...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])])
    expect(Object.fromEntries(rows)).toEqual(appErrorCodes)
  })
})
