import swagger from '@fastify/swagger'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { validate } from '@readme/openapi-parser'
import Fastify, { type FastifyInstance } from 'fastify'
import {
  CursorPaginated,
  CursorPaginationQuery,
  composeQuery,
  keelPagination,
  offsetQuery,
  Paginated,
  sortQuery,
} from 'fastify-keel/pagination'
import { describe, expect, it } from 'vitest'

const User = Type.Object({ id: Type.Integer(), name: Type.String() }, { $id: 'User' })

interface Parameter {
  name: string
  in: string
  required?: boolean
  schema: Record<string, unknown>
}
type Doc = {
  paths: Record<
    string,
    {
      get: {
        parameters: Parameter[]
        responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }>
      }
    }
  >
  components: { schemas: Record<string, Record<string, unknown>> }
}

async function openapi(registerPlugin: boolean): Promise<{ doc: Doc; app: FastifyInstance }> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await app.register(swagger, {
    openapi: { info: { title: 'test', version: '1.0.0' } },
    // Component names from `$id` instead of def-N.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  })
  if (registerPlugin) await app.register(keelPagination)
  const querystring = composeQuery([
    offsetQuery({ defaultLimit: 25, maxLimit: 50 }),
    sortQuery(['name', 'createdAt'], { default: '-createdAt' }),
  ])
  app.get('/users', { schema: { querystring, response: { 200: Paginated(User) } } }, async () => ({
    data: [],
    pagination: { page: 1, limit: 25, total: 0, totalPages: 0, hasNext: false, hasPrev: false },
  }))
  app.get(
    '/events',
    { schema: { querystring: CursorPaginationQuery, response: { 200: CursorPaginated(User) } } },
    async () => ({
      data: [],
      pagination: { limit: 20, nextCursor: null, hasMore: false },
    }),
  )
  await app.ready()
  return { doc: app.swagger() as unknown as Doc, app }
}

function resolve(doc: Doc, schema: Record<string, unknown>): Record<string, unknown> {
  const ref = schema.$ref
  if (typeof ref !== 'string') return schema
  return doc.components.schemas[ref.replace('#/components/schemas/', '')] as Record<string, unknown>
}

describe('pagination', () => {
  it.each([true, false])(
    'should document the query parameters with their bounds (plugin: %s)',
    async (registerPlugin) => {
      const { doc, app } = await openapi(registerPlugin)
      try {
        const params = Object.fromEntries(doc.paths['/users']?.get.parameters.map((p) => [p.name, p]) ?? [])
        expect(params.page).toMatchObject({
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1 },
        })
        expect(params.limit).toMatchObject({
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: 50, default: 25 },
        })
        expect(params.sort).toMatchObject({
          in: 'query',
          schema: { type: 'string', default: '-createdAt', maxLength: 16 },
        })
        expect(params.sort?.schema.pattern).toEqual(expect.stringContaining('name|createdAt'))
        const cursorParams = Object.fromEntries(doc.paths['/events']?.get.parameters.map((p) => [p.name, p]) ?? [])
        expect(cursorParams.cursor).toMatchObject({
          required: false,
          schema: { type: 'string', minLength: 1, maxLength: 512 },
        })
        expect(cursorParams.limit).toMatchObject({ schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
      } finally {
        await app.close()
      }
    },
  )

  it.each([true, false])(
    'should document the envelopes and list the meta schemas as components (plugin: %s)',
    async (registerPlugin) => {
      const { doc, app } = await openapi(registerPlugin)
      try {
        expect(doc.components.schemas.KeelPaginationMeta).toMatchObject({
          type: 'object',
          required: ['page', 'limit', 'total', 'totalPages', 'hasNext', 'hasPrev'],
        })
        expect(doc.components.schemas.KeelCursorPaginationMeta).toMatchObject({
          properties: { nextCursor: { type: 'string', nullable: true } },
        })
        const users = doc.paths['/users']?.get.responses['200']?.content['application/json']?.schema as Record<
          string,
          unknown
        >
        expect(users).toMatchObject({ type: 'object', required: ['data', 'pagination'] })
        const props = users.properties as Record<string, Record<string, unknown>>
        expect(props.data).toMatchObject({ type: 'array' })
        expect(resolve(doc, props.pagination as Record<string, unknown>)).toMatchObject({
          properties: { totalPages: { type: 'integer', minimum: 0 }, hasNext: { type: 'boolean' } },
        })
        const events = doc.paths['/events']?.get.responses['200']?.content['application/json']?.schema as Record<
          string,
          unknown
        >
        const eventProps = events.properties as Record<string, Record<string, unknown>>
        expect(resolve(doc, eventProps.pagination as Record<string, unknown>)).toMatchObject({
          required: ['limit', 'nextCursor', 'hasMore'],
        })
      } finally {
        await app.close()
      }
    },
  )

  it('should produce a valid OpenAPI document', async () => {
    const { doc, app } = await openapi(true)
    try {
      const result = await validate(structuredClone(doc) as never)
      expect(result.valid ? [] : result.errors).toEqual([])
    } finally {
      await app.close()
    }
  })
})
