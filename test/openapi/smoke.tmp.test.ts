import Fastify from 'fastify'
import { keel } from 'fastify-keel'
import { keelOpenApi } from 'fastify-keel/openapi'
import { problemResponse } from 'fastify-keel/errors'
import type {} from 'fastify-keel/auth'
import { it } from 'vitest'
import { Type } from 'typebox'

it('smoke', async () => {
  const app = Fastify()
  await app.register(keelOpenApi, { info: { title: 't', version: '1', license: { name: 'MIT' } }, servers: [{ url: 'http://localhost' }] })
  await app.register(keel, { auth: { secret: 'a-test-secret-of-at-least-32-bytes!!', issuer: 'https://i.test', audience: 'a' } })
  app.get('/a/:id', { onRequest: [app.authenticate, app.authorize('admin')], schema: { params: Type.Object({ id: Type.String() }), response: { 200: Type.Object({ a: Type.String() }), 404: problemResponse(404, { codes: ['X'] }) } } }, async () => ({ a: 'x' }))
  app.delete('/b', async () => null)
  await app.ready()
  console.log(JSON.stringify(app.swagger(), null, 1))
  const r = await app.inject({ method: 'GET', url: '/a/1' })
  console.log(r.statusCode, r.headers['content-type'], r.body)
})
