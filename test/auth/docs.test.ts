import { authConfigCodes, authErrorCodes } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { codeTableRows, readDocs } from '../helpers/docs-tables.js'

const docs = readDocs('auth')

function tableRows(prefix: RegExp): string[][] {
  return codeTableRows('auth').filter((cells) => prefix.test(cells[0] ?? ''))
}

describe('auth', () => {
  describe('docs', () => {
    it('should document every client error code with its status', () => {
      const documented = Object.fromEntries(
        tableRows(/^(?!KEEL_ERR_)[A-Z_]+$/).map(([code, status]) => [code, Number(status)]),
      )
      const registry = Object.fromEntries(Object.entries(authErrorCodes).map(([code, info]) => [code, info.status]))
      expect(documented).toEqual(registry)
    })

    it('should document every configuration error code', () => {
      const documented = tableRows(/^KEEL_ERR_/).map(([code]) => code)
      expect(documented.sort()).toEqual(Object.keys(authConfigCodes).sort())
    })

    it('should have one Options heading per option with its default', () => {
      const options = [
        'secret',
        'issuer',
        'audience',
        'accessTokenTtl',
        'refreshTokenTtl',
        'clockTolerance',
        'store',
        'jwks',
        'realm',
        'verifyCache',
      ]
      for (const option of options) expect(docs).toContain(`### \`${option}\``)
    })
  })
})
