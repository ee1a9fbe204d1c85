import { healthConfigErrorCodes, healthErrorCodes } from 'fastify-keel/health'
import { describe, expect, it } from 'vitest'
import { codeTableRows, readDocs } from '../helpers/docs-tables.js'

const docs = readDocs('health')

function rows(): string[][] {
  return codeTableRows('health')
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
