// The "A different log label" recipe of docs/request-id.md: Fastify's LogController, not the deprecated
// top-level `requestIdLogLabel` (FSTDEP024, removed in Fastify 6).
import Fastify, { LogController } from 'fastify'
import { keelRequestId } from 'fastify-keel/request-id'
import { describe, expect, it } from 'vitest'
import { captureLogs } from '../helpers/logs.js'

describe('request-id log label', () => {
  it('should log the request id under the label of the log controller', async () => {
    const { stream, lines } = captureLogs()
    const app = Fastify({ logger: { stream }, logController: new LogController({ requestIdLogLabel: 'requestId' }) })
    await app.register(keelRequestId)
    app.get('/', async (request) => {
      request.log.info('inside the handler')
      return 'ok'
    })
    try {
      const response = await app.inject({ url: '/', headers: { 'x-request-id': 'abc-123' } })
      expect(response.headers['x-request-id']).toBe('abc-123')
      const requestLines = lines.filter((line) => line.msg === 'inside the handler' || line.msg === 'request completed')
      expect(requestLines).toHaveLength(2)
      for (const line of requestLines) {
        expect(line.requestId).toBe('abc-123')
        expect(line).not.toHaveProperty('reqId')
      }
    } finally {
      await app.close()
    }
  })
})
