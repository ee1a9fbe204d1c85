import { ERROR_CODES, ERRORS_CONFIG_CODES, FOREIGN_CODE_MAP, keelErrors } from 'fastify-keel/errors'
import { describe, expect, it } from 'vitest'
import { OWNED_ELSEWHERE, ERROR_CODES as registry } from '../../src/errors/codes.js'
import { documentedCodes, plain } from '../helpers/docs-tables.js'

const documented = documentedCodes('errors')

describe('errors', () => {
  describe('docs', () => {
    it('should document every code the plugin owns, with its status and when it is sent', () => {
      expect(documented.response).toEqual(plain(ERROR_CODES))
    })

    it('should document every configuration error code with when and fix', () => {
      expect(documented.config).toEqual(plain(ERRORS_CONFIG_CODES))
    })

    it('should document every mapped Fastify and plugin code with the status it is sent with', () => {
      const statuses: Record<string, number> = { ...OWNED_ELSEWHERE }
      for (const [code, info] of Object.entries(registry)) statuses[code] = info.status
      const mapped = documented.other.filter(([code]) => /^(FST|FAST)_/.test(code ?? ''))
      expect(Object.fromEntries(mapped.map(([from, to]) => [from, to]))).toEqual(FOREIGN_CODE_MAP)
      for (const [from, to, status] of mapped)
        expect({ from, status: Number(status) }).toEqual({ from, status: statuses[to as string] })
    })

    it('should declare the plugin as fastify-keel-errors for Fastify 5', () => {
      expect((keelErrors as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
        name: 'fastify-keel-errors',
        fastify: '5.x',
      })
    })
  })
})
