// A typed client generated from the example's document (openapi-typescript types, openapi-fetch), driving every
// operation, the error cases included: every status the server answers is declared for that operation, with the media
// type it is sent with, and every body validates (Ajv) against the declared schema.
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import ajvFormats from 'ajv-formats'
import createClient, { type Middleware } from 'openapi-fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, pgliteTarget, type Running, startApp, type Target, testConfig } from './harness.js'
import type { paths } from './openapi-api.js'
import { generateTypes } from './openapi-types.js'

type Json = Record<string, unknown>
type Operation = { responses: Record<string, { content?: Record<string, { schema: Json }> }> }

describe('example OpenAPI document, driven by a typed client', () => {
  let target: Target
  let running: Running
  let document: { paths: Record<string, Record<string, Operation>> }
  let ajv: Ajv
  const seen: string[] = []

  /** `GET /users/{id}` for a request path. */
  function operationOf(method: string, pathname: string): [string, Operation] {
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`)
      const operation = item[method.toLowerCase()]
      if (pattern.test(pathname) && operation !== undefined) return [template, operation]
    }
    throw new Error(`no operation for ${method} ${pathname}`)
  }

  /** Checks one answer against the document: status declared, media type declared, body valid. */
  async function check(method: string, url: string, response: Response): Promise<number> {
    const pathname = new URL(url).pathname
    const [template, operation] = operationOf(method, pathname)
    const label = `${method} ${template} → ${response.status}`
    seen.push(label)
    const declared = operation.responses[String(response.status)]
    expect(declared, `${label} is declared`).toBeDefined()
    const text = await response.clone().text()
    if (text === '') return response.status
    const media = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
    expect(Object.keys(declared?.content ?? {}), `${label} media type`).toContain(media)
    const pointer = `openapi.json#/paths/${template.replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${response.status}/content/${media.replaceAll('/', '~1')}/schema`
    const validate = ajv.getSchema(pointer)
    expect(validate, pointer).toBeDefined()
    expect(validate?.(JSON.parse(text)), `${label}: ${JSON.stringify(validate?.errors)} ${text}`).toBe(true)
    return response.status
  }

  const checker: Middleware = {
    async onResponse({ request, response }) {
      await check(request.method, request.url, response)
    },
  }

  async function raw(method: string, path: string, init: { token?: string; type?: string; body?: string } = {}) {
    const headers: Record<string, string> = {}
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
    if (init.type !== undefined) headers['content-type'] = init.type
    const url = `${running.url}${path}`
    return check(method, url, await fetch(url, { method, headers, body: init.body }))
  }

  beforeAll(async () => {
    target = await pgliteTarget()
    running = await startApp(testConfig(target), { openapiVersion: '3.1.0' })
    document = (await (await fetch(`${running.url}/docs/json`)).json()) as typeof document
    ajv = new Ajv({ strict: false, allErrors: true })
    ajvFormats.default(ajv)
    ajv.addSchema(document as Json, 'openapi.json')
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  it('should have types generated from the document that match the checked-in ones', async () => {
    const checkedIn = readFileSync(new URL('./openapi-api.d.ts', import.meta.url), 'utf8')
    expect(await generateTypes(structuredClone(document) as Json)).toBe(checkedIn)
  })

  it('should declare every answer of every operation, success and error', async () => {
    const api = createClient<paths>({ baseUrl: running.url })
    api.use(checker)
    const email = `openapi-${Date.now()}@example.test`
    const password = 'password-123'

    expect((await api.GET('/health/live')).response.status).toBe(200)
    expect((await api.GET('/health/ready')).response.status).toBe(200)
    const registered = await api.POST('/auth/register', { body: { email, password, name: 'Open Api' } })
    expect(registered.response.status).toBe(201)
    const id = registered.data?.user.id ?? ''
    expect((await api.POST('/auth/register', { body: { email, password, name: 'Again' } })).response.status).toBe(409)
    expect((await api.POST('/auth/login', { body: { email, password: 'wrong-password' } })).response.status).toBe(401)
    const login = await api.POST('/auth/login', { body: { email, password } })
    const token = login.data?.accessToken ?? ''
    const refreshToken = (login.data as { refreshToken?: string } | undefined)?.refreshToken ?? ''
    const admin = await api.POST('/auth/login', { body: { email: ADMIN.email, password: ADMIN.password } })
    const adminToken = admin.data?.accessToken ?? ''
    const as = (bearer: string) => ({ headers: { authorization: `Bearer ${bearer}` } })

    expect((await api.GET('/users/me')).response.status).toBe(401)
    expect((await api.GET('/users/me', as(token))).response.status).toBe(200)
    expect((await api.PATCH('/users/me', { ...as(token), body: { name: 'Renamed' } })).response.status).toBe(200)
    expect((await api.PATCH('/users/me', { ...as(token), body: { name: '' } })).response.status).toBe(400)
    const wrong = { currentPassword: 'not-the-password', newPassword: 'password-456' }
    expect((await api.PUT('/users/me/password', { ...as(token), body: wrong })).response.status).toBe(400)
    expect((await api.GET('/users', as(token))).response.status).toBe(403)
    expect((await api.GET('/users', { ...as(adminToken), params: { query: { limit: 1 } } })).response.status).toBe(200)
    expect(
      (await api.GET('/users', { ...as(adminToken), params: { query: { cursor: 'nope' } } })).response.status,
    ).toBe(400)
    const byId = (userId: string) => ({ params: { path: { id: userId } } })
    expect((await api.GET('/users/{id}', { ...as(token), ...byId(id) })).response.status).toBe(200)
    const missing = '00000000-0000-4000-8000-000000000000'
    expect((await api.GET('/users/{id}', { ...as(adminToken), ...byId(missing) })).response.status).toBe(404)
    const patch = await api.PATCH('/users/{id}', { ...as(adminToken), ...byId(id), body: { name: 'By Admin' } })
    expect(patch.response.status).toBe(200)
    expect((await api.GET('/auth/sessions', as(token))).response.status).toBe(200)
    const session = { ...as(token), params: { path: { id: missing }, query: {} } }
    expect((await api.DELETE('/auth/sessions/{id}', session)).response.status).toBe(404)
    const refreshed = await api.POST('/auth/refresh', { body: { refreshToken } })
    expect(refreshed.response.status).toBe(200)
    const next = refreshed.data?.accessToken ?? ''
    const nextRefresh = (refreshed.data as { refreshToken?: string } | undefined)?.refreshToken ?? ''
    expect((await api.POST('/auth/logout', { ...as(next), body: { refreshToken: nextRefresh } })).response.status).toBe(
      204,
    )
    expect((await api.POST('/auth/refresh', { body: { refreshToken } })).response.status).toBe(401)
    expect((await api.DELETE('/users/{id}', { ...as(token), ...byId(id) })).response.status).toBe(401)
    expect((await api.DELETE('/users/{id}', { ...as(adminToken), ...byId(id) })).response.status).toBe(204)
    expect((await api.DELETE('/users/{id}', { ...as(adminToken), ...byId(id) })).response.status).toBe(404)
  })

  it('should declare what keel answers to bad URLs, over-long params and bad bodies on every method', async () => {
    const login = await fetch(`${running.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    })
    const token = ((await login.json()) as { accessToken: string }).accessToken
    const long = 'a'.repeat(1000)
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      expect(await raw(method, '/users/%ZZ', { token })).toBe(400)
      expect(await raw(method, `/users/${long}`, { token })).toBe(414)
    }
    expect(await raw('DELETE', '/auth/sessions/%ZZ', { token })).toBe(400)
    const huge = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })
    const bodies: Array<[string, string]> = [
      ['POST', '/auth/register'],
      ['POST', '/auth/login'],
      ['POST', '/auth/refresh'],
      ['POST', '/auth/logout'],
      ['PATCH', '/users/me'],
      ['PUT', '/users/me/password'],
      ['PATCH', `/users/${ADMIN_ID}`],
      ['DELETE', `/users/${ADMIN_ID}`],
      ['DELETE', `/auth/sessions/${ADMIN_ID}`],
    ]
    for (const [method, path] of bodies) {
      expect(await raw(method, path, { token, type: 'application/json', body: huge }), `${method} ${path}`).toBe(413)
      expect(await raw(method, path, { token, type: 'application/xml', body: '<a/>' }), `${method} ${path}`).toBe(415)
      expect(await raw(method, path, { token, type: 'application/json', body: '{bad' }), `${method} ${path}`).toBe(400)
    }
    expect(seen.length).toBeGreaterThan(30)
  })
})

const ADMIN_ID = '00000000-0000-4000-8000-000000000001'
