import Fastify from 'fastify'
import { keelOpenApi } from 'fastify-keel/openapi'
import { describe, expect, it, vi } from 'vitest'

// @fastify/swagger is an optional peer dependency: an app without it fails its boot with the command that fixes it.
vi.mock('@fastify/swagger', () => {
  throw Object.assign(new Error("Cannot find package '@fastify/swagger'"), { code: 'ERR_MODULE_NOT_FOUND' })
})

describe('openapi', () => {
  describe('without @fastify/swagger installed', () => {
    it('should fail the boot with KEEL_ERR_OPENAPI_SWAGGER_MISSING and say what to install', async () => {
      const app = Fastify()
      await expect(app.register(keelOpenApi).ready()).rejects.toMatchObject({
        code: 'KEEL_ERR_OPENAPI_SWAGGER_MISSING',
        message: expect.stringContaining('npm install @fastify/swagger'),
      })
      await app.close()
    })
  })
})
