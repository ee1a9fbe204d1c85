import { OPENAPI_CONFIG_CODES } from 'fastify-keel/openapi'
import { describe, expect, it } from 'vitest'
import { documentedCodes } from '../helpers/docs-tables.js'

describe('openapi', () => {
  describe('docs', () => {
    it('should document every configuration error code with its when and fix', () => {
      expect(documentedCodes('openapi').config).toEqual(OPENAPI_CONFIG_CODES)
    })
  })
})
