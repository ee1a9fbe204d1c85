import { readFileSync } from 'node:fs'
import { securityConfigErrorCodes, securityErrorCodes } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'

const docs = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8')
const section = docs.slice(docs.indexOf('## Error codes'), docs.indexOf('\n## ', docs.indexOf('## Error codes') + 1))

function tableRows(prefix: RegExp): string[][] {
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    )
    .filter((cells) => prefix.test(cells[0] ?? ''))
}

describe('security', () => {
  describe('docs', () => {
    it('should document every HTTP error code with its status', () => {
      const documented = Object.fromEntries(
        tableRows(/^(?!KEEL_ERR_)[A-Z_]+$/).map(([code, status]) => [code, Number(status)]),
      )
      expect(documented).toEqual(securityErrorCodes)
    })

    it('should document every configuration error code', () => {
      const documented = tableRows(/^KEEL_ERR_/).map(([code]) => code)
      expect(documented.sort()).toEqual(Object.keys(securityConfigErrorCodes).sort())
    })
  })
})
