import { REQUEST_ID_CONFIG_CODES } from 'fastify-keel/request-id'
import { describe, expect, it } from 'vitest'
import { codeTableRows } from '../helpers/docs-tables.js'

describe('request-id', () => {
  describe('docs', () => {
    it('should document every configuration error code with its fix', () => {
      const documented = codeTableRows('request-id', { raw: true })
        .filter(([code]) => code?.startsWith('`KEEL_ERR_'))
        .map(([code, when]) => [code?.replace(/^`|`$/g, ''), when])
      expect(Object.fromEntries(documented)).toEqual(
        Object.fromEntries(Object.entries(REQUEST_ID_CONFIG_CODES).map(([code, info]) => [code, info.when])),
      )
    })
  })
})
