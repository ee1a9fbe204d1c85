import { AUTH_CONFIG_CODES, AUTH_ERROR_CODES } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { codeTableRows, readDocs } from '../helpers/docs-tables.js'

const docs = readDocs('auth')

describe('auth', () => {
  describe('docs', () => {
    it('should document every client error code with its status', () => {
      const documented = Object.fromEntries(
        codeTableRows('auth')
          .filter(([code]) => /^(?!KEEL_ERR_)[A-Z_]+$/.test(code ?? ''))
          .map(([code, status]) => [code, Number(status)]),
      )
      const registry = Object.fromEntries(Object.entries(AUTH_ERROR_CODES).map(([code, info]) => [code, info.status]))
      expect(documented).toEqual(registry)
    })

    it('should document every configuration error code with when it is thrown', () => {
      const documented = codeTableRows('auth', { raw: true })
        .filter(([code]) => code?.startsWith('`KEEL_ERR_'))
        .map(([code, when]) => [code?.replace(/^`|`$/g, ''), when])
      expect(Object.fromEntries(documented)).toEqual(
        Object.fromEntries(Object.entries(AUTH_CONFIG_CODES).map(([code, info]) => [code, info.when])),
      )
    })

    it('should have one Options heading per option with its default', () => {
      const options = [
        'secret',
        'issuer',
        'audience',
        'accessTokenTtl',
        'refreshTokenTtl',
        'sessionMaxAge',
        'refreshGraceWindow',
        'accessTokens',
        'refreshToken',
        'clockTolerance',
        'store',
        'storeTimeout',
        'jwks',
        'realm',
        'verifyCache',
        'issuers',
        'issuersHealthCheck',
      ]
      for (const option of options) expect(docs).toMatch(new RegExp(`### \`${option}\`\\n\\n(Required|Default )`))
    })
  })
})
