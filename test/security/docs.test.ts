import { keelSecurity, SECURITY_CONFIG_CODES, SECURITY_ERROR_CODES } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'
import { codeTableRows } from '../helpers/docs-tables.js'

/** Rows of the docs code tables, cells kept as written (backticks included). */
const rows = () => codeTableRows('security', { raw: true })
const unquote = (cell: string | undefined) => (cell ?? '').replace(/^`|`$/g, '')

describe('security', () => {
  describe('docs', () => {
    it('should document every HTTP error code with its status and when it is sent', () => {
      const documented = rows()
        .filter(([code, status]) => /^`[A-Z_]+`$/.test(code ?? '') && /^\d{3}$/.test(status ?? ''))
        .map(([code, status, when]) => [unquote(code), { status: Number(status), when }])
      expect(Object.fromEntries(documented)).toEqual(SECURITY_ERROR_CODES)
    })

    it('should document every configuration error code with when and the fix', () => {
      const documented = rows()
        .filter(([code]) => (code ?? '').startsWith('`KEEL_ERR_'))
        .map(([code, when, fix]) => [unquote(code), { when, fix }])
      expect(Object.fromEntries(documented)).toEqual(SECURITY_CONFIG_CODES)
    })

    it('should declare the plugin as fastify-keel-security for Fastify 5 and 6', () => {
      expect((keelSecurity as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
        name: 'fastify-keel-security',
        fastify: '5.x || 6.x',
      })
    })
  })
})
