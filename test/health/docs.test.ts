import { HEALTH_CONFIG_CODES, HEALTH_ERROR_CODES } from 'fastify-keel/health'
import { describe, expect, it } from 'vitest'
import { documentedCodes, plain, readDocs } from '../helpers/docs-tables.js'

const docs = readDocs('health')
const documented = documentedCodes('health')

describe('health', () => {
  describe('docs', () => {
    it('should document every HTTP error code with its status and when it is sent', () => {
      expect(documented.response).toEqual(plain(HEALTH_ERROR_CODES))
    })

    it('should document every configuration error code with when and fix', () => {
      expect(documented.config).toEqual(plain(HEALTH_CONFIG_CODES))
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
        'details',
      ]) {
        expect(docs).toContain(`### \`${option}\``)
      }
    })
  })
})
