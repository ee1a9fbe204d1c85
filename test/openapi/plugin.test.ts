import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { keel } from 'fastify-keel'
import type {} from 'fastify-keel/auth'
import { problemResponse } from 'fastify-keel/errors'
import { defaultOperationId, keelOpenApi, OPENAPI_CONFIG_CODES } from 'fastify-keel/openapi'
import { describe, expect, it } from 'vitest'

// biome-ignore lint/suspicious/noExplicitAny: the tests walk a JSON document of any shape
type Json = Record<string, any>

const auth = { secret: 'a-test-secret-of-at-least-32-bytes!!', issuer: 'https://issuer.test', audience: 'test' }

async function documentOf(
  routes: (app: FastifyInstance) => void,
  openapi: Json = {},
  preset: Json = {},
): Promise<Json> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await app.register(keel, { auth, health: { underPressure: false }, ...preset, openapi })
  routes(app)
  await app.ready()
  const document = structuredClone(app.swagger()) as Json
  await app.close()
  return document
}

describe('openapi', () => {
  it('should mark authenticated routes with the bearer scheme, public ones with security: [] and list the roles', async () => {
    const doc = await documentOf((app) => {
      app.get('/public', async () => 'ok')
      app.get('/admin', { onRequest: [app.authenticate, app.authorize('admin')] }, async () => 'ok')
      app.register(async (scope) => {
        scope.addHook('onRequest', scope.authenticate)
        scope.get('/scoped', async () => 'ok')
      })
    })
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.paths['/public'].get.security).toEqual([])
    expect(doc.paths['/public'].get.responses['401']).toBeUndefined()
    expect(doc.paths['/admin'].get.security).toEqual([{ bearerAuth: [] }])
    expect(doc.paths['/admin'].get['x-keel-authorize']).toEqual([{ roles: ['admin'], permissions: [], check: false }])
    expect(Object.keys(doc.paths['/admin'].get.responses)).toEqual(
      expect.arrayContaining(['401', '403', '429', '500', '503']),
    )
    expect(doc.paths['/scoped'].get.security).toEqual([{ bearerAuth: [] }])
  })

  it('should add the problems keel can send, as application/problem+json references to ProblemDetails', async () => {
    const doc = await documentOf((app) => {
      app.delete('/things/:id', async () => null)
      app.get('/list', async () => [])
    })
    const del = doc.paths['/things/{id}'].delete.responses
    expect(Object.keys(del).sort()).toEqual(['200', '400', '413', '414', '415', '429', '500'])
    expect(del['413'].content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
    })
    expect(del['400'].description).toContain('BAD_URL')
    expect(del['429'].headers).toHaveProperty('Retry-After')
    expect(del['200'].headers).toHaveProperty('X-Request-Id')
    expect(del['200'].headers).toHaveProperty('RateLimit')
    expect(Object.keys(doc.paths['/list'].get.responses).sort()).toEqual(['200', '429', '500'])
  })

  it('should never replace a response, security or operationId the route declares', async () => {
    const doc = await documentOf((app) => {
      app.post(
        '/login',
        {
          schema: {
            operationId: 'logIn',
            security: [{ bearerAuth: [] }],
            body: Type.Object({ email: Type.String() }),
            response: { 200: Type.Object({ ok: Type.Boolean() }), 400: problemResponse(400, { codes: ['MINE'] }) },
          },
        },
        async () => ({ ok: true }),
      )
    })
    const operation = doc.paths['/login'].post
    expect(operation.operationId).toBe('logIn')
    expect(operation.security).toEqual([{ bearerAuth: [] }])
    expect(operation.responses['400'].description).toBe('Bad Request. `code`: `MINE`')
    expect(operation.responses['400'].content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/ProblemDetails',
    })
  })

  it('should derive operationIds from method and path, and leave defaulted query parameters optional', async () => {
    const doc = await documentOf((app) => {
      app.get(
        '/users/:id/posts',
        { schema: { querystring: Type.Object({ limit: Type.Integer({ default: 20 }), q: Type.String() }) } },
        async () => [],
      )
    })
    const operation = doc.paths['/users/{id}/posts'].get
    expect(operation.operationId).toBe('getUsersByIdPosts')
    const query = Object.fromEntries(
      (operation.parameters as Json[]).filter((p) => p.in === 'query').map((p) => [p.name, p]),
    )
    expect(query.limit.required).toBeUndefined()
    expect(query.q.required).toBe(true)
    expect(defaultOperationId('POST', '/')).toBe('postRoot')
  })

  it('should write OpenAPI 3.1 with servers and info.license', async () => {
    const doc = await documentOf(() => {}, {
      openapi: '3.1.0',
      info: { title: 't', version: '1', license: { name: 'MIT' } },
      servers: [{ url: 'https://api.example.com' }],
    })
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers).toEqual([{ url: 'https://api.example.com' }])
    expect(doc.info.license).toEqual({ name: 'MIT' })
  })

  it('should add the refresh cookie scheme in cookie mode and 403 CSRF_REJECTED under its path', async () => {
    const app = Fastify()
    await app.register(import('@fastify/cookie'))
    await app.register(keel, {
      auth: { ...auth, refreshToken: { transport: 'cookie' } },
      health: { underPressure: false },
      openapi: {},
    })
    app.post('/auth/refresh', async () => 'ok')
    await app.ready()
    const doc = app.swagger() as Json
    expect(doc.components.securitySchemes.refreshCookie).toMatchObject({ type: 'apiKey', in: 'cookie' })
    expect(doc.paths['/auth/refresh'].post.responses['403'].description).toContain('CSRF_REJECTED')
    await app.close()
  })

  it.each([
    [{ operationId: 'yes' }, 'operationId'],
    [{ openapi: '2.0' }, 'openapi'],
    [{ problems: { 200: ['X'] } }, 'problems.200'],
    [{ swaggr: {} }, 'swaggr'],
  ])('should refuse bad options at boot (%o)', async (options, path) => {
    const app = Fastify()
    await expect(app.register(keelOpenApi, options as never).ready()).rejects.toMatchObject({
      code: 'KEEL_ERR_OPENAPI_INVALID_OPTION',
      message: expect.stringContaining(`"${path}"`),
    })
    await app.close()
  })

  it('should refuse to register over an @fastify/swagger of the app', async () => {
    const app = Fastify()
    await app.register(import('@fastify/swagger'))
    await expect(app.register(keelOpenApi).ready()).rejects.toMatchObject({
      code: 'KEEL_ERR_OPENAPI_ALREADY_REGISTERED',
    })
    await app.close()
    expect(Object.keys(OPENAPI_CONFIG_CODES)).toContain('KEEL_ERR_OPENAPI_SWAGGER_MISSING')
  })
})
