import Fastify from 'fastify'
import { getRequestId, type KeelRequestIdOptions, keelRequestId, type TraceContext } from 'fastify-keel/request-id'
import { describe, expectTypeOf, it } from 'vitest'

describe('request-id types', () => {
  it('should accept the documented options', async () => {
    const app = Fastify()
    const options: KeelRequestIdOptions = {
      header: 'x-correlation-id',
      trustIncoming: false,
      generate: () => 'id',
      validate: (id) => id.length < 64,
    }
    await app.register(keelRequestId, options)
    // @ts-expect-error generate returns a string
    await app.register(keelRequestId, { generate: () => 42 })
    // @ts-expect-error trustIncoming is a boolean
    await app.register(keelRequestId, { trustIncoming: 'yes' })
  })

  it('should type request.traceContext and getRequestId', () => {
    const app = Fastify()
    app.get('/', async (request) => {
      expectTypeOf(request.traceContext).toEqualTypeOf<TraceContext | null>()
      expectTypeOf(request.id).toBeString()
      return request.traceContext?.traceId ?? null
    })
    expectTypeOf(getRequestId()).toEqualTypeOf<string | undefined>()
    expectTypeOf<TraceContext['flags']>().toBeNumber()
  })
})
