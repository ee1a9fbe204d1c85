// Table of malformed requests a user (or an attacker) can send. Each must get a 4xx problem document
// carrying a request id equal to the response header, never a 500, and the server must keep answering.
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { keelErrors, problemServerOptions } from 'fastify-keel/errors'
import { keelRequestId } from 'fastify-keel/request-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appWithLogs, type LogLine } from '../helpers/logs.js'
import { expectProblem, PROBLEM_CONTENT_TYPE } from '../helpers/problem.js'

let app: FastifyInstance
let lines: LogLine[]
let base: string

beforeAll(async () => {
  // The recipe of docs/errors.md: bad URLs and over-long params become problem documents too.
  ;({ app, lines } = appWithLogs({ bodyLimit: 1024, ...problemServerOptions({ requestIdHeader: 'x-request-id' }) }))
  await app.register(keelRequestId)
  await app.register(keelErrors)
  const User = Type.Object({ email: Type.String({ format: 'email' }), age: Type.Integer({ minimum: 0 }) })
  app.post(
    '/users/:id',
    {
      schema: {
        body: User,
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
        headers: Type.Object({ 'x-tenant': Type.Optional(Type.String({ pattern: '^[a-z]+$' })) }),
      },
    },
    async () => ({ ok: true }),
  )
  app.get('/health', async () => ({ ok: true }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
})
afterAll(async () => {
  await app.close()
})

const json = { 'content-type': 'application/json' }
const good = JSON.stringify({ email: 'a@example.com', age: 3 })

interface BadRequest {
  method?: string
  url?: string
  headers?: Record<string, string>
  body?: string
  status: number
  code: string
  /** fetch refuses to send it (e.g. CR/LF in a header value); only `inject` can. */
  injectOnly?: boolean
}

const table: Array<[string, BadRequest]> = [
  ['truncated JSON', { body: '{"email":', headers: json, status: 400, code: 'MALFORMED_JSON' }],
  [
    'JSON with a trailing comma',
    { body: '{"email":"a@example.com",}', headers: json, status: 400, code: 'MALFORMED_JSON' },
  ],
  ['plain text sent as JSON', { body: 'hello', headers: json, status: 400, code: 'MALFORMED_JSON' }],
  ['an empty JSON body', { body: '', headers: json, status: 400, code: 'EMPTY_JSON_BODY' }],
  [
    'a __proto__ payload',
    {
      body: '{"__proto__":{"isAdmin":true},"email":"a@example.com","age":1}',
      headers: json,
      status: 400,
      code: 'MALFORMED_JSON',
    },
  ],
  [
    'a constructor.prototype payload',
    { body: '{"constructor":{"prototype":{"isAdmin":true}}}', headers: json, status: 400, code: 'MALFORMED_JSON' },
  ],
  [
    'a nested __proto__ payload',
    {
      body: '{"email":"a@example.com","age":1,"x":{"__proto__":{"p":1}}}',
      headers: json,
      status: 400,
      code: 'MALFORMED_JSON',
    },
  ],
  [
    'a body over bodyLimit',
    { body: JSON.stringify({ email: 'x'.repeat(4096) }), headers: json, status: 413, code: 'PAYLOAD_TOO_LARGE' },
  ],
  [
    'an unsupported content type',
    { body: '<user/>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  [
    'a garbage content type',
    { body: good, headers: { 'content-type': '!!!' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ],
  ['a JSON array body', { body: '[1,2,3]', headers: json, status: 400, code: 'VALIDATION_FAILED' }],
  ['a JSON string body', { body: '"a@example.com"', headers: json, status: 400, code: 'VALIDATION_FAILED' }],
  ['a JSON null body', { body: 'null', headers: json, status: 400, code: 'VALIDATION_FAILED' }],
  [
    'a wrong field type',
    { body: '{"email":"a@example.com","age":"old"}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  ['a bad email format', { body: '{"email":"nope","age":1}', headers: json, status: 400, code: 'VALIDATION_FAILED' }],
  [
    'a missing required field',
    { body: '{"email":"a@example.com"}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a negative number',
    { body: '{"email":"a@example.com","age":-5}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a huge number',
    { body: '{"email":"a@example.com","age":1e400}', headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a non-numeric path param',
    { url: '/users/abc', body: good, headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  ['a zero path param', { url: '/users/0', body: good, headers: json, status: 400, code: 'VALIDATION_FAILED' }],
  [
    'an out-of-range querystring',
    { url: '/users/1?limit=1000', body: good, headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a non-numeric querystring',
    { url: '/users/1?limit=ten', body: good, headers: json, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a bad header value',
    { body: good, headers: { ...json, 'x-tenant': 'ACME-1' }, status: 400, code: 'VALIDATION_FAILED' },
  ],
  [
    'a forged 10 KB request id with a bad body',
    { body: '{bad', headers: { ...json, 'x-request-id': 'z'.repeat(10 * 1024) }, status: 400, code: 'MALFORMED_JSON' },
  ],
  [
    'a forged request id with spaces and quotes',
    { body: '{bad', headers: { ...json, 'x-request-id': '" } {"level":60' }, status: 400, code: 'MALFORMED_JSON' },
  ],
  [
    'a forged request id with CRLF and a bad body',
    {
      body: '{bad',
      headers: { ...json, 'x-request-id': 'id\r\nSet-Cookie: session=evil' },
      status: 400,
      code: 'MALFORMED_JSON',
      injectOnly: true,
    },
  ],
  ['an undecodable URL', { method: 'GET', url: '/%E0%A4%A', status: 400, code: 'BAD_URL' }],
  [
    'an over-long path param',
    {
      url: `/users/${'1'.repeat(101)}`,
      body: good,
      headers: json,
      status: 414,
      code: 'PARAM_TOO_LONG',
    },
  ],
  ['an unknown route', { method: 'GET', url: '/does/not/exist', status: 404, code: 'ROUTE_NOT_FOUND' }],
  [
    'an unknown method',
    { method: 'PATCH', url: '/health', body: good, headers: json, status: 404, code: 'ROUTE_NOT_FOUND' },
  ],
  ['a path traversal attempt', { method: 'GET', url: '/../../etc/passwd', status: 404, code: 'ROUTE_NOT_FOUND' }],
  ['a percent-encoded unknown route', { method: 'GET', url: '/%2e%2e/admin', status: 404, code: 'ROUTE_NOT_FOUND' }],
]

describe('errors', () => {
  describe('bad input', () => {
    it('should have at least 25 malformed requests in the table', () => {
      expect(table.length).toBeGreaterThanOrEqual(25)
    })

    it.each(table)('should answer %s with a 4xx problem document carrying the request id', async (_name, bad) => {
      const res = await app.inject({
        method: (bad.method ?? 'POST') as 'POST',
        url: bad.url ?? '/users/1',
        headers: bad.headers,
        ...(bad.body === undefined ? {} : { payload: bad.body }),
      })
      const body = expectProblem(res, bad.status, bad.code)
      expect(res.statusCode).toBeLessThan(500)
      expect(body.requestId).toBe(res.headers['x-request-id'])
      expect(body.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
      expect(res.body).not.toMatch(/"stack"|at .*\.ts:|evil/)
      expect(res.headers['set-cookie']).toBeUndefined()
    })

    it('should answer the same table over real HTTP, then still answer a healthy request', async () => {
      for (const [name, bad] of table) {
        if (bad.injectOnly) continue
        const res = await fetch(`${base}${bad.url ?? '/users/1'}`, {
          method: bad.method ?? 'POST',
          headers: bad.headers,
          ...(bad.body === undefined ? {} : { body: bad.body }),
        })
        const body = (await res.json()) as { status: number; code: string; requestId: string }
        expect({ name, status: res.status, code: body.code }).toEqual({ name, status: bad.status, code: bad.code })
        expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
        expect(body.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/)
        expect(body.requestId).toBe(res.headers.get('x-request-id'))
      }
      const healthy = await fetch(`${base}/health`)
      expect(healthy.status).toBe(200)
      expect(await healthy.json()).toEqual({ ok: true })
      expect(lines.filter((line) => line.level >= 50)).toEqual([])
    })
  })
})
