import { readFileSync } from 'node:fs'
import { REQUEST_ID_CONFIG_CODES } from 'fastify-keel/request-id'
import { describe, expect, it } from 'vitest'

const docs = readFileSync(new URL('../../docs/request-id.md', import.meta.url), 'utf8')
const start = docs.indexOf('## Error codes')
const section = docs.slice(start, docs.indexOf('\n## ', start + 1))

describe('request-id', () => {
  describe('docs', () => {
    it('should document every configuration error code with its fix', () => {
      const documented = section
        .split('\n')
        .filter((line) => line.startsWith('| `KEEL_ERR_'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map(([, code, when]) => [code?.replace(/^`|`$/g, ''), when])
      expect(Object.fromEntries(documented)).toEqual(
        Object.fromEntries(Object.entries(REQUEST_ID_CONFIG_CODES).map(([code, info]) => [code, info.when])),
      )
    })
  })
})
