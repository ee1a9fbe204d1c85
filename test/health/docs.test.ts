import { readFileSync } from 'node:fs'
import { healthConfigErrorCodes, healthErrorCodes } from 'fastify-keel/health'
import { describe, expect, it } from 'vitest'

const docs = readFileSync(new URL('../../docs/health.md', import.meta.url), 'utf8')
const start = docs.indexOf('## Error codes')
const section = docs.slice(start, docs.indexOf('\n## ', start + 1))

function rows(): string[][] {
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    )
}

describe('health', () => {
  describe('docs', () => {
    it('should document every HTTP error code with its status', () => {
      const documented = rows()
        .filter(([code, status]) => /^[A-Z_]+$/.test(code ?? '') && /^\d{3}$/.test(status ?? ''))
        .map(([code, status]) => [code, Number(status)])
      expect(Object.fromEntries(documented)).toEqual(
        Object.fromEntries(Object.entries(healthErrorCodes).map(([code, info]) => [code, info.status])),
      )
    })

    it('should document every configuration error code', () => {
      const documented = rows()
        .map(([code]) => code ?? '')
        .filter((code) => code.startsWith('KEEL_ERR_'))
      expect(documented.sort()).toEqual(Object.keys(healthConfigErrorCodes).sort())
    })

    it('should document every option under its own heading', () => {
      for (const option of [
        'prefix',
        'version',
        'underPressure',
        'checkTimeout',
        'cacheTtl',
        'shutdownDelay',
        'handleSignals',
      ]) {
        expect(docs).toContain(`### \`${option}\``)
      }
    })
  })
})
