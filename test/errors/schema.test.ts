import swagger from '@fastify/swagger'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { HttpError, keelErrors, ProblemDetailsSchema } from 'fastify-keel/errors'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

async function build(): Promise<FastifyInstance> {
  app = Fastify()
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(keelErrors)
  app.post(
    '/users',
    {
      schema: {
        body: Type.Object({ email: Type.String({ format: 'email' }) }),
        response: { 201: Type.Object({ id: Type.Integer() }), 400: ProblemDetailsSchema, 422: ProblemDetailsSchema },
      },
    },
    async (request, reply) => {
      const { email } = request.body as { email: string }
      if (email.startsWith('admin')) {
        throw new HttpError(422, 'Reserved', {
          code: 'EMAIL_RESERVED',
          extensions: { field: 'email', hint: 'pick another' },
        })
      }
      return reply.code(201).send({ id: 1 })
    },
  )
  app.get('/typebox-ref', { schema: { response: { 409: Type.Ref(ProblemDetailsSchema) } } }, async () => {
    throw new HttpError(409, 'Taken', { code: 'TAKEN', extensions: { field: 'email' } })
  })
  app.get('/users/:id', { schema: { response: { '4xx': { $ref: 'ProblemDetails#' } } } }, async () => {
    throw new HttpError(404, 'User not found', { code: 'USER_NOT_FOUND', extensions: { id: 'x' } })
  })
  await app.ready()
  return app
}

describe('errors', () => {
  describe('ProblemDetailsSchema', () => {
    it('should keep errors[] when a route response schema is ProblemDetailsSchema', async () => {
      const app = await build()
      const res = await app.inject({ method: 'POST', url: '/users', payload: { email: 'nope' } })
      const body = expectProblem(res, 400, 'VALIDATION_FAILED')
      expect(body.errors).toEqual([
        { location: 'body', pointer: '/email', keyword: 'format', message: expect.any(String) },
      ])
    })

    it('should keep extension members when a route response schema is ProblemDetailsSchema', async () => {
      const app = await build()
      const res = await app.inject({ method: 'POST', url: '/users', payload: { email: 'admin@example.com' } })
      const body = expectProblem(res, 422, 'EMAIL_RESERVED')
      expect(body).toMatchObject({ field: 'email', hint: 'pick another' })
    })

    it('should be usable by reference as ProblemDetails#', async () => {
      const app = await build()
      const body = expectProblem(await app.inject('/users/1'), 404, 'USER_NOT_FOUND')
      expect(body.id).toBe('x')
    })

    it('should be usable through TypeBox Type.Ref', async () => {
      const app = await build()
      const body = expectProblem(await app.inject('/typebox-ref'), 409, 'TAKEN')
      expect(body.field).toBe('email')
    })

    it('should appear in the @fastify/swagger OpenAPI document', async () => {
      const app = await build()
      const spec = app.swagger() as unknown as {
        components: { schemas: Record<string, { title?: string; properties?: Record<string, unknown> }> }
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
      }
      const schemas = Object.values(spec.components.schemas)
      const problem = schemas.find((schema) => schema.title === 'ProblemDetails')
      expect(problem?.properties).toHaveProperty('requestId')
      expect(problem?.properties).toHaveProperty('errors')
      expect(JSON.stringify(spec.paths['/users']?.post?.responses['400'])).toContain('requestId')
    })

    it('should declare additionalProperties so serializers never strip members', () => {
      expect(ProblemDetailsSchema.$id).toBe('ProblemDetails')
      expect(ProblemDetailsSchema.additionalProperties).toBe(true)
    })
  })
})
