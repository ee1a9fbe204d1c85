import { securityConfigErrorCodes, securityErrorCodes } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'
import { codeTableRows } from '../helpers/docs-tables.js'

function tableRows(prefix: RegExp): string[][] {
  return codeTableRows('security').filter((cells) => prefix.test(cells[0] ?? ''))
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
