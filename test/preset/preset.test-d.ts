import Fastify from 'fastify'
import keelDefault, { type KeelOptions, keel } from 'fastify-keel'
import { describe, expectTypeOf, it } from 'vitest'

const app = Fastify()

describe('preset types', () => {
  it('should accept every plugin options object or false', async () => {
    expectTypeOf(keelDefault).toEqualTypeOf(keel)
    await app.register(keel)
    await app.register(keel, {})
    await app.register(keel, {
      requestId: { header: 'x-correlation-id' },
      errors: { exposeInternalErrors: false },
      security: { cors: { origins: ['https://app.example.com'] } },
      health: { prefix: '/status' },
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

  it('should type the decorators of the registered plugins', () => {
    expectTypeOf(app.authenticate).toBeFunction()
    expectTypeOf(app.health.addCheck).toBeFunction()
    expectTypeOf(app.tokens.issue).toBeFunction()
  })
})
