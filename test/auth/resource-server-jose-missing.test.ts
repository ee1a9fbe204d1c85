import Fastify from 'fastify'
import { keelResourceServer } from 'fastify-keel/resource-server'
import { describe, expect, it, vi } from 'vitest'

// jose is an optional peer dependency: an app without it fails its boot with the command that fixes it.
vi.mock('jose', () => {
  throw Object.assign(new Error("Cannot find package 'jose'"), { code: 'ERR_MODULE_NOT_FOUND' })
})

describe('auth', () => {
  describe('resource server without jose installed', () => {
    it('should fail the boot with KEEL_ERR_AUTH_JOSE_MISSING and say what to install', async () => {
      const app = Fastify()
      const issuers = [
        {
          issuer: 'https://idp.test/',
          jwksUri: 'https://idp.test/jwks',
          audience: 'api',
          algorithms: ['RS256' as const],
        },
      ]
      await expect(app.register(keelResourceServer, { issuers }).ready()).rejects.toMatchObject({
        code: 'KEEL_ERR_AUTH_JOSE_MISSING',
        message: expect.stringContaining('npm install jose'),
      })
      await app.close()
    })
  })
})
