import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { composeQuery, cursorQuery, offsetQuery, sortQuery } from 'fastify-keel/pagination'
import { describe, expect, it } from 'vitest'

describe('composeQuery', () => {
  it('should merge the properties and required members of every part', () => {
    const query = composeQuery([
      offsetQuery({ maxLimit: 50 }),
      sortQuery(['name']),
      Type.Object({ q: Type.Optional(Type.String()), tenant: Type.String() }),
    ])
    expect(query.type).toBe('object')
    expect(Object.keys(query.properties)).toEqual(['page', 'limit', 'sort', 'q', 'tenant'])
    expect(query.required).toEqual(['page', 'limit', 'tenant'])
    expect(query.properties.limit).toMatchObject({ maximum: 50, default: 20 })
  })

  it('should keep a hand-written JSON Schema part optional where its required list says so', () => {
    const filters = { type: 'object', properties: { q: { type: 'string' } } } as const
    const query = composeQuery([cursorQuery(), Type.Unsafe<{ q?: string }>(filters) as never])
    expect(query.required).toEqual(['limit'])
  })

  it('should pass object options to the result', () => {
    const query = composeQuery([offsetQuery()], { additionalProperties: false })
    expect(query).toHaveProperty('additionalProperties', false)
  })

  it('should validate like its parts through Fastify', async () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    const query = composeQuery([offsetQuery(), Type.Object({ q: Type.Optional(Type.String({ maxLength: 3 })) })], {
      additionalProperties: false,
    })
    app.get('/', { schema: { querystring: query } }, async (request) => request.query)
    try {
      expect((await app.inject('/?q=abc')).json()).toEqual({ q: 'abc', page: 1, limit: 20 })
      expect((await app.inject('/?q=abcd')).statusCode).toBe(400)
      expect((await app.inject('/?limit=0')).statusCode).toBe(400)
    } finally {
      await app.close()
    }
  })

  it.each([
    ['no array', undefined],
    ['an empty array', []],
    ['a part that is not an object schema', [Type.String()]],
    ['a part that is null', [null]],
    ['two parts with the same property', [offsetQuery(), cursorQuery()]],
  ])('should refuse %s with KEEL_ERR_PAGINATION_INVALID_SCHEMA', (_name, parts) => {
    expect(() => composeQuery(parts as never)).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_PAGINATION_INVALID_SCHEMA' }),
    )
  })
})
