// Fastify 6 refuses a second setErrorHandler in one scope (`allowErrorHandlerOverride: false` is its
// default; Fastify 5 has the option too, default true). These tests pass the option explicitly so they
// describe Fastify 6's behaviour on both majors; `.ci/run` also runs them on the Fastify 6 pre-release.
import Fastify, { type FastifyInstance } from 'fastify'
import { HttpError, httpErrors, keelErrors } from 'fastify-keel/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const strict = { allowErrorHandlerOverride: false } as const

describe('keelErrors and a second error handler', () => {
  it('should fail boot with KEEL_ERR_ERRORS_ERROR_HANDLER_SET when the root already has a handler', async () => {
    app = Fastify(strict)
    app.setErrorHandler(async () => 'mine')
    await expect(app.register(keelErrors)).rejects.toMatchObject({
      name: 'KeelConfigError',
      code: 'KEEL_ERR_ERRORS_ERROR_HANDLER_SET',
      message: expect.stringContaining('setErrorHandler'),
    })
  })

  it("should leave Fastify's own refusal for a root setErrorHandler after keelErrors", async () => {
    app = Fastify(strict)
    await app.register(keelErrors)
    expect(() => app?.setErrorHandler(async () => 'mine')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_ERROR_HANDLER_ALREADY_SET' }),
    )
  })

  // The "Wrap the handler" recipe of docs/errors.md: your handler in the context of your routes, rethrowing.
  it.each([
    ['Fastify 6 behaviour', strict],
    ['Fastify 5 default', {}],
  ])('should render what a wrapping handler in the routes context rethrows (%s)', async (_name, options) => {
    app = Fastify(options)
    const seen: string[] = []
    await app.register(keelErrors)
    await app.register(async (api) => {
      api.setErrorHandler(async (error) => {
        seen.push(error instanceof HttpError ? error.code : 'other')
        throw error
      })
      api.get('/users/:id', async () => {
        throw httpErrors.notFound('User not found', { code: 'USER_NOT_FOUND' })
      })
      api.get('/boom', async () => {
        throw new Error('database password is hunter2')
      })
    })
    const notFound = await app.inject('/users/1')
    expectProblem(notFound, 404, 'USER_NOT_FOUND')
    const boom = await app.inject('/boom')
    const body = expectProblem(boom, 500, 'INTERNAL_SERVER_ERROR')
    expect(JSON.stringify(body)).not.toContain('hunter2')
    expect(seen).toEqual(['USER_NOT_FOUND', 'other'])
  })
})
