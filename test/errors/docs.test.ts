import { ERROR_CODES, ERRORS_CONFIG_CODES, FOREIGN_CODE_MAP, keelErrors } from 'fastify-keel/errors'
import { describe, expect, it } from 'vitest'
import { codeTableRows } from '../helpers/docs-tables.js'

/** Table rows whose first cell is a code, cells trimmed and kept as written. */
function rawRows(): string[][] {
  return codeTableRows('errors', { raw: true })
}

function rows(): string[][] {
  return codeTableRows('errors')
}

describe('errors', () => {
  describe('docs', () => {
    it('should document every code the plugin assigns, with its status', () => {
      const documented = rows()
        .filter(([code, second]) => /^[A-Z_]+$/.test(code ?? '') && /^\d{3}$/.test(second ?? ''))
        .map(([code, status]) => [code, Number(status)])
      expect(Object.fromEntries(documented)).toEqual(
        Object.fromEntries(Object.entries(ERROR_CODES).map(([code, info]) => [code, info.status])),
      )
    })

    it('should document the same "when" text as the registry', () => {
      const documented = Object.fromEntries(
        rawRows()
          .filter(([code, status]) => /^`[A-Z_]+`$/.test(code ?? '') && /^\d{3}$/.test(status ?? ''))
          .map(([code, , when]) => [(code ?? '').slice(1, -1), when]),
      )
      expect(documented).toEqual(
        Object.fromEntries(Object.entries(ERROR_CODES).map(([code, info]) => [code, info.when])),
      )
      const config = Object.fromEntries(
        rawRows()
          .filter(([code]) => (code ?? '').startsWith('`KEEL_ERR_'))
          .map(([code, when, fix]) => [(code ?? '').slice(1, -1), { when, fix }]),
      )
      expect(config).toEqual(ERRORS_CONFIG_CODES)
    })

    it('should document every mapped Fastify and plugin code', () => {
      const documented = rows()
        .filter(([code]) => /^(FST|FAST)_/.test(code ?? ''))
        .map(([from, to]) => [from, to])
      expect(Object.fromEntries(documented)).toEqual(FOREIGN_CODE_MAP)
    })

    it('should document every configuration error code', () => {
      const documented = rows()
        .filter(([code]) => (code ?? '').startsWith('KEEL_ERR_'))
        .map(([code]) => code)
      expect(documented.sort()).toEqual(Object.keys(ERRORS_CONFIG_CODES).sort())
    })

    it('should declare the plugin as fastify-keel-errors for Fastify 5 and 6', () => {
      expect((keelErrors as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
        name: 'fastify-keel-errors',
        fastify: '5.x || 6.x',
      })
    })
  })
})
