import Fastify, { type FastifyRequest } from 'fastify'
import {
  createErrorHandler,
  HttpError,
  httpErrors,
  isHttpError,
  type KeelErrorHandler,
  type KeelErrorsOptions,
  keelErrors,
  ProblemDetailsSchema,
  type ProblemDocument,
  type ValidationIssue,
} from 'fastify-keel/errors'
import { describe, expectTypeOf, it } from 'vitest'

describe('errors types', () => {
  it('should accept the documented options', async () => {
    const app = Fastify()
    await app.register(keelErrors, {
      exposeInternalErrors: false,
      typeBaseUri: 'https://errors.example.com',
      transform: (problem, error, request) => {
        expectTypeOf(problem).toEqualTypeOf<ProblemDocument>()
        expectTypeOf(error).toBeUnknown()
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>()
        return { ...problem, extra: 1 }
      },
    })
    // @ts-expect-error exposeInternalErrors is a boolean
    await app.register(keelErrors, { exposeInternalErrors: 'yes' })
    // @ts-expect-error transform must return a problem document
    const bad: KeelErrorsOptions = { transform: () => 'x' }
    void bad
  })

  it('should give a handler usable with setErrorHandler and frameworkErrors', () => {
    const handler = createErrorHandler()
    expectTypeOf(handler).toEqualTypeOf<KeelErrorHandler>()
    const app = Fastify({ frameworkErrors: handler })
    app.setErrorHandler(handler)
  })

  it('should type the problem document and its validation issues', () => {
    expectTypeOf<ProblemDocument['status']>().toEqualTypeOf<number>()
    expectTypeOf<ProblemDocument['errors']>().toEqualTypeOf<ValidationIssue[] | undefined>()
    expectTypeOf<ValidationIssue['location']>().toEqualTypeOf<'body' | 'querystring' | 'params' | 'headers'>()
    expectTypeOf(ProblemDetailsSchema.$id).toEqualTypeOf<'ProblemDetails'>()
  })

  it('should narrow with isHttpError', () => {
    const value: unknown = httpErrors.notFound()
    if (isHttpError(value)) expectTypeOf(value).toEqualTypeOf<HttpError>()
    // @ts-expect-error extensions must be an object
    new HttpError(400, 'x', { extensions: 'nope' })
  })
})
