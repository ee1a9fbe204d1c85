// The preset's types. This file shares one program with every other test, where every subpath's augmentation is
// loaded; that the root entry alone brings none is proven on the packed tarball (test/package/fixtures/root-only.mts).
import Fastify from 'fastify'
import keelDefault, { type KeelOptions, type KeelServerOptions, keel, keelServerOptions } from 'fastify-keel'
import type {} from 'fastify-keel/auth'
import type {} from 'fastify-keel/health'
import { describe, expectTypeOf, it } from 'vitest'

const app = Fastify()

describe('preset types', () => {
  it('should accept every plugin options object or false', async () => {
    expectTypeOf(keelDefault).toEqualTypeOf(keel)
    await app.register(keel)
    await app.register(keel, {})
    await app.register(keel, {
      requestId: { header: 'x-correlation-id' },
      errors: { exposeInternalErrors: false, strictBody: true },
      security: { cors: { origins: ['https://app.example.com'] } },
      health: { prefix: '/status', shutdownDelay: '5s' },
      pagination: true,
      auth: { secret: 'x'.repeat(32), issuer: 'https://api.example.com', audience: 'api' },
    })
    await app.register(keel, { requestId: false, errors: false, security: false, health: false, pagination: false })
    expectTypeOf<KeelOptions['auth']>().toExtend<object | false | undefined>()
  })

  it('should refuse misuse', async () => {
    // @ts-expect-error auth needs an issuer and an audience
    await app.register(keel, { auth: { secret: 'x'.repeat(32) } })
    // @ts-expect-error a plugin entry is options or false, not true
    await app.register(keel, { errors: true })
    // @ts-expect-error unknown plugin
    await app.register(keel, { rateLimit: { max: 5 } })
    // @ts-expect-error wrong option type inside a plugin's options
    await app.register(keel, { health: { prefix: 42 } })
  })

  it('should give server options Fastify takes', () => {
    const options: KeelServerOptions = keelServerOptions({ requestId: { header: 'x-correlation-id' } })
    const server = Fastify({ logger: true, ...options })
    expectTypeOf(server.listen).toBeFunction()
  })

  it('should export the preset only from the root: plugins and their names come from their subpaths', () => {
    type Root = typeof import('fastify-keel')
    expectTypeOf<Root>().not.toHaveProperty('httpErrors')
    expectTypeOf<Root>().not.toHaveProperty('keelAuth')
    expectTypeOf<Root>().not.toHaveProperty('HttpError')
    expectTypeOf<Root>().toHaveProperty('keelServerOptions')
  })

  it('should type the decorators of the subpaths imported for their types', () => {
    expectTypeOf(app.authenticate).toBeFunction()
    expectTypeOf(app.health.addCheck).toBeFunction()
    expectTypeOf(app.tokens.issue).toBeFunction()
  })
})
