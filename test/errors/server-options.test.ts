// Responses sent before any hook runs (Fastify's frameworkErrors, Node's clientError) and `instance` as a URI
// reference, checked with app.inject and with raw bytes on a real socket (fetch would clean the URLs up first).
import { connect } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { keelErrors, problemServerOptions } from 'fastify-keel/errors'
import { keelRequestId } from 'fastify-keel/request-id'
import { afterEach, describe, expect, it } from 'vitest'
import { appWithLogs, type LogLine } from '../helpers/logs.js'
import { expectProblem, PROBLEM_CONTENT_TYPE } from '../helpers/problem.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const SECURITY = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }

async function build(server: FastifyServerOptions = {}): Promise<{ app: FastifyInstance; lines: LogLine[] }> {
  const logged = appWithLogs({
    routerOptions: { maxParamLength: 20 },
    ...server,
    ...problemServerOptions({ requestIdHeader: 'x-request-id', headers: SECURITY, typeBaseUri: 'https://errors.test' }),
  })
  app = logged.app
  await app.register(keelRequestId)
  await app.register(keelErrors, { typeBaseUri: 'https://errors.test' })
  app.get('/items/:id', async () => 'ok')
  return logged
}

async function listen(instance: FastifyInstance): Promise<number> {
  await instance.listen({ port: 0, host: '127.0.0.1' })
  return (instance.server.address() as { port: number }).port
}

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Writes bytes to the server and reads the one response it gets back (the server closes the connection). */
function raw(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
  })
}

// RFC 3986 path-absolute / path-empty: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
const PCHAR = "[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2}"
const URI_PATH = new RegExp(`^(?:/(?:${PCHAR})*)*$`)

// Raw request targets Node lets through, and the instance each must become.
const paths: Array<[string, string]> = [
  ['/say"hi"', '/say%22hi%22'],
  ['/<script>', '/%3Cscript%3E'],
  ['/{id}', '/%7Bid%7D'],
  ['/a|b', '/a%7Cb'],
  ['/a^b', '/a%5Eb'],
  ['/a`b', '/a%60b'],
  ['/[v6]', '/%5Bv6%5D'],
  ['/ok%41/%E2%82%AC', '/ok%41/%E2%82%AC'],
  ["/keep!$&'()*+,;=:@~", "/keep!$&'()*+,;=:@~"],
]
// Targets app.inject rewrites as a browser would (`\` to `/`, the fragment cut): only sent raw.
const rawOnly: Array<[string, string]> = [
  ['/a\\b', '/a%5Cb'],
  ['/x#frag', '/x%23frag'],
]
// Targets with a `%` not followed by two hex digits: Fastify cannot decode them (BAD_URL, through frameworkErrors).
const badUrls: Array<[string, string]> = [
  ['/a%zz', '/a%25zz'],
  ['/100%', '/100%25'],
  ['/%4', '/%254'],
  ['/ok%41/%', '/ok%41/%25'],
]

describe('errors', () => {
  describe('instance is a URI reference', () => {
    it.each(paths)('should encode %s as %s (inject)', async (path, instance) => {
      const { app } = await build()
      const body = expectProblem(await app.inject(`${path}?q=<x>`), 404, 'ROUTE_NOT_FOUND')
      expect(body.instance).toBe(instance)
      expect(body.instance).toMatch(URI_PATH)
    })

    it.each(badUrls)('should encode the stray %% of %s as %s (inject)', async (path, instance) => {
      const { app } = await build()
      const body = expectProblem(await app.inject(path), 400, 'BAD_URL')
      expect(body.instance).toBe(instance)
    })

    it('should encode what only app.inject can send: spaces, controls, non-ASCII, lone surrogates', async () => {
      const { app } = await build()
      const cases: Array<[string, string]> = [
        ['/a b', '/a%20b'],
        ['/café', '/caf%C3%A9'],
        ['/€/😀', '/%E2%82%AC/%F0%9F%98%80'],
        [`/lone${String.fromCharCode(0xd800)}`, '/lone%EF%BF%BD'],
      ]
      for (const [path, instance] of cases) {
        const body = expectProblem(await app.inject(path), 404, 'ROUTE_NOT_FOUND')
        expect(body.instance, path).toBe(instance)
        expect(body.instance).toMatch(URI_PATH)
      }
    })

    it('should encode the same raw targets sent on a real socket', async () => {
      const { app } = await build()
      const port = await listen(app)
      for (const [path, instance] of [...paths, ...rawOnly, ...badUrls]) {
        const res = await raw(port, `GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`)
        expect(res.headers['content-type'], path).toBe(PROBLEM_CONTENT_TYPE)
        expect(JSON.parse(res.body).instance, path).toBe(instance)
      }
    })

    it('should keep a path fetch already encoded as it is', async () => {
      const { app } = await build()
      const port = await listen(app)
      const res = await fetch(`http://127.0.0.1:${port}/a b/"q"/|^`)
      const body = (await res.json()) as { instance: string }
      expect(body.instance).toBe('/a%20b/%22q%22/%7C%5E')
    })
  })

  describe('problemServerOptions: frameworkErrors', () => {
    it.each([
      ['an undecodable URL', '/%E0%A4%A', 400, 'BAD_URL'],
      ['an over-long path parameter', `/items/${'x'.repeat(50)}`, 414, 'PARAM_TOO_LONG'],
    ])(
      'should answer %s with a problem document, the request id and the given headers',
      async (_name, url, status, code) => {
        const { app } = await build()
        const res = await app.inject({ url, headers: { 'x-request-id': 'fw-1' } })
        const body = expectProblem(res, status, code)
        expect(body).toMatchObject({
          requestId: 'fw-1',
          type: `https://errors.test/${code.toLowerCase().replaceAll('_', '-')}`,
        })
        expect(res.headers['x-request-id']).toBe('fw-1')
        expect(res.headers).toMatchObject(SECURITY)
      },
    )

    it('should give a generated, equal id in the header and the document', async () => {
      const { app } = await build()
      const res = await app.inject('/%E0%A4%A')
      const body = expectProblem(res, 400, 'BAD_URL')
      expect(res.headers['x-request-id']).toBe(body.requestId)
    })
  })

  describe('problemServerOptions: clientErrorHandler', () => {
    it('should answer headers over maxHeaderSize with 431 HEADERS_TOO_LARGE', async () => {
      const { app, lines } = await build()
      const port = await listen(app)
      const res = await raw(port, `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`)
      expect(res.status).toBe(431)
      expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE)
      expect(res.headers.connection).toBe('close')
      expect(res.headers).toMatchObject(SECURITY)
      const body = JSON.parse(res.body)
      expect(body).toEqual({
        type: 'https://errors.test/headers-too-large',
        title: 'Request Header Fields Too Large',
        status: 431,
        detail: 'The request line and headers are too large',
        code: 'HEADERS_TOO_LARGE',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      })
      expect(res.headers['x-request-id']).toBe(body.requestId)
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body))
      expect(lines.find((line) => line.code === 'HEADERS_TOO_LARGE')).toMatchObject({ level: 30, statusCode: 431 })
    })

    it('should answer a URL over maxHeaderSize with 431', async () => {
      const { app } = await build()
      const port = await listen(app)
      const res = await raw(port, `GET /${'u'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`)
      expect(res.status).toBe(431)
      expect(JSON.parse(res.body).code).toBe('HEADERS_TOO_LARGE')
    })

    it.each([
      ['a header line without a colon', 'GET / HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n'],
      ['an invalid method', 'G@T / HTTP/1.1\r\nhost: x\r\n\r\n'],
      ['a space in the target', 'GET /a b HTTP/1.1\r\nhost: x\r\n\r\n'],
      ['two content-lengths', 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab'],
      ['a non-ASCII target', Buffer.from('GET /caf\xc3\xa9 HTTP/1.1\r\nhost: x\r\n\r\n', 'latin1')],
    ])('should answer %s with 400 MALFORMED_REQUEST', async (_name, request) => {
      const { app } = await build()
      const port = await listen(app)
      const res = await raw(port, request)
      expect(res.status).toBe(400)
      expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE)
      const body = JSON.parse(res.body)
      expect(body).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST', title: 'Bad Request' })
      expect(body).not.toHaveProperty('instance')
      expect(res.headers['x-request-id']).toBe(body.requestId)
    })

    it('should keep serving after refusing a connection', async () => {
      const { app } = await build()
      const port = await listen(app)
      await raw(port, 'G@T / HTTP/1.1\r\n\r\n')
      const res = await fetch(`http://127.0.0.1:${port}/items/1`)
      expect(res.status).toBe(200)
    })

    it('should use generateId, and a safe id when it misbehaves', async () => {
      const ids = ['client-err-1', 'bad id\r\nx: y']
      app = Fastify(problemServerOptions({ requestIdHeader: 'x-request-id', generateId: () => ids.shift() as string }))
      const port = await listen(app)
      const first = await raw(port, 'G@T / HTTP/1.1\r\n\r\n')
      expect(first.headers['x-request-id']).toBe('client-err-1')
      const second = await raw(port, 'G@T / HTTP/1.1\r\n\r\n')
      expect(second.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(second.headers).not.toHaveProperty('x')
    })
  })

  describe('problemServerOptions: options', () => {
    it.each([
      ['a requestIdHeader that is no header name', { requestIdHeader: 'x request id' }],
      ['a header value with CR/LF', { headers: { 'x-a': 'b\r\nset-cookie: c' } }],
      ['a header that is not a string', { headers: { 'x-a': 1 } }],
      ['headers that are not an object', { headers: 'x-a: b' }],
      ['a generateId that is not a function', { generateId: 'uuid' }],
      ['an unknown errors option', { typeBaseURI: 'https://x.test' }],
    ])('should refuse %s', (_name, options) => {
      expect(() => problemServerOptions(options as never)).toThrow(
        expect.objectContaining({ name: 'KeelConfigError', code: 'KEEL_ERR_ERRORS_INVALID_OPTION' }),
      )
    })
  })
})
