import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import keelDefault, * as root from 'fastify-keel'
import { type KeelOptions, keel, keelServerOptions, PRESET_CONFIG_CODES } from 'fastify-keel'
import type {} from 'fastify-keel/auth'
import type {} from 'fastify-keel/pagination'
import { afterEach, describe, expect, it } from 'vitest'
import { expectProblem } from '../helpers/problem.js'

const authOptions = { secret: 'a-test-secret-of-at-least-32-bytes!!', issuer: 'https://issuer.test', audience: 'test' }
const pluginNames = {
  requestId: 'fastify-keel-request-id',
  errors: 'fastify-keel-errors',
  security: 'fastify-keel-security',
  health: 'fastify-keel-health',
  pagination: 'fastify-keel-pagination',
  auth: 'fastify-keel-auth',
} as const
type PluginKey = keyof typeof pluginNames

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function build(options: Parameters<typeof keel>[1] | object = {}): Promise<FastifyInstance> {
  const app = Fastify()
  apps.push(app)
  await app.register(keel, options as Parameters<typeof keel>[1])
  await app.ready()
  return app
}

function registered(app: FastifyInstance): PluginKey[] {
  return (Object.keys(pluginNames) as PluginKey[]).filter((key) => app.hasPlugin(pluginNames[key]))
}

describe('preset', () => {
  it('should be the default export of the root entry', () => {
    expect(keelDefault).toBe(keel)
  })

  it('should register request-id, errors, security, health and pagination by default, in that order', async () => {
    const app = await build()
    expect(registered(app)).toEqual(['requestId', 'errors', 'security', 'health', 'pagination'])
    const tree = app.printPlugins()
    const positions = Object.values(pluginNames)
      .slice(0, 5)
      .map((name) => tree.indexOf(name))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
  })

  it('should register auth last when its options are given', async () => {
    const app = await build({ auth: authOptions })
    expect(registered(app)).toEqual(['requestId', 'errors', 'security', 'health', 'pagination', 'auth'])
    const tree = app.printPlugins()
    expect(tree.indexOf(pluginNames.auth)).toBeGreaterThan(tree.indexOf(pluginNames.pagination))
    expect(app.hasDecorator('authenticate')).toBe(true)
  })

  it.each(Object.keys(pluginNames) as PluginKey[])('should leave %s out when it is false', async (key) => {
    const app = await build({ auth: authOptions, [key]: false })
    expect(registered(app)).not.toContain(key)
    expect(registered(app)).toHaveLength(5)
  })

  it('should register pagination with true and with options', async () => {
    expect(registered(await build({ pagination: true }))).toContain('pagination')
    const app = await build({ pagination: { cursorSecret: 'a-cursor-secret-of-at-least-32-bytes' } })
    expect(app.pagination.decodeCursor(app.pagination.encodeCursor(['x']))).toEqual(['x'])
  })

  it('should pass each plugin its options', async () => {
    const app = await build({ requestId: { header: 'x-correlation-id' }, health: { prefix: '/status' } })
    const response = await app.inject('/status/live')
    expect(response.statusCode).toBe(200)
    expect(response.headers['x-correlation-id']).toBeTruthy()
  })

  it('should make every plugin work together on one request', async () => {
    const app = Fastify()
    apps.push(app)
    await app.register(keel, { auth: authOptions })
    app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
    const denied = await app.inject({ url: '/me', headers: { 'x-request-id': 'req-1' } })
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(denied.headers['x-request-id']).toBe('req-1')
    expect(denied.headers['x-content-type-options']).toBe('nosniff')
    expect(denied.json()).toMatchObject({ status: 401, code: 'TOKEN_MISSING', requestId: 'req-1' })
    const { accessToken } = await app.tokens.issue({ sub: 'user-1' })
    const allowed = await app.inject({ url: '/me', headers: { authorization: `Bearer ${accessToken}` } })
    expect(allowed.json()).toEqual({ sub: 'user-1' })
  })

  it.each([
    ['a string', 'all'],
    ['an array', []],
    ['an unknown plugin', { rateLimit: { max: 5 } }],
    ['a plugin set to true', { errors: true }],
    ['a plugin set to a string', { security: 'strict' }],
    ['pagination set to a number', { pagination: 1 }],
    ['auth set to true', { auth: true }],
  ])('should refuse %s at register time', async (_name, options) => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(keel, options as object).ready()).rejects.toMatchObject({
      name: 'KeelConfigError',
      code: 'KEEL_ERR_PRESET_INVALID_OPTION',
    })
  })

  it('should let a plugin refuse its own bad options', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(keel, { auth: { ...authOptions, secret: 'short' } }).ready()).rejects.toMatchObject({
      name: 'KeelConfigError',
    })
  })

  it('should list its config codes', () => {
    expect(Object.keys(PRESET_CONFIG_CODES)).toEqual(['KEEL_ERR_PRESET_INVALID_OPTION'])
  })

  it('should export the preset and its own API from the root, and no plugin', () => {
    expect(Object.keys(root).sort()).toEqual([
      'PRESET_CONFIG_CODES',
      'PRESET_ORDER',
      'default',
      'keel',
      'keelServerOptions',
    ])
  })

  it('should write its option errors in the one message shape', async () => {
    const app = Fastify()
    apps.push(app)
    await expect(app.register(keel, { helth: false } as object).ready()).rejects.toMatchObject({
      code: 'KEEL_ERR_PRESET_INVALID_OPTION',
      message: expect.stringMatching(/^fastify-keel: option "helth" is unknown, got false; did you mean "health"\?/),
    })
  })
})

describe('keelServerOptions', () => {
  async function withServerOptions(options: KeelOptions): Promise<FastifyInstance> {
    const app = Fastify({ routerOptions: { maxParamLength: 20 }, ...keelServerOptions(options) })
    apps.push(app)
    await app.register(keel, options)
    app.get('/items/:id', async () => 'ok')
    return app
  }

  /** The security headers keelSecurity put on an ordinary response, to compare with a framework-level one. */
  function securityHeaders(headers: Record<string, unknown>): Record<string, unknown> {
    const names = ['cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options']
    return Object.fromEntries(names.map((name) => [name, headers[name]]))
  }

  it.each([
    ['an undecodable URL', '/%E0%A4%A', 400, 'BAD_URL'],
    ['an over-long path parameter', `/items/${'x'.repeat(50)}`, 414, 'PARAM_TOO_LONG'],
  ])(
    'should answer %s like any error: problem document, request id and security headers',
    async (_n, url, status, code) => {
      const app = await withServerOptions({
        requestId: { header: 'x-correlation-id' },
        errors: { typeBaseUri: 'https://e.test' },
      })
      const normal = await app.inject({ url: '/missing' })
      const res = await app.inject({ url, headers: { 'x-correlation-id': 'pre-1' } })
      const body = expectProblem(res, status, code)
      expect(body).toMatchObject({ requestId: 'pre-1', type: expect.stringMatching(/^https:\/\/e\.test\//) })
      expect(res.headers['x-correlation-id']).toBe('pre-1')
      expect(securityHeaders(res.headers)).toEqual(securityHeaders(normal.headers))
      expect(res.headers['x-content-type-options']).toBe('nosniff')
    },
  )

  it('should answer a request Node refuses with a problem document on the socket', async () => {
    const app = await withServerOptions({})
    await app.listen({ port: 0, host: '127.0.0.1' })
    const port = (app.server.address() as { port: number }).port
    const normal = await app.inject('/missing')
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = []
      const socket = connect(port, '127.0.0.1', () =>
        socket.end(`GET / HTTP/1.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`),
      )
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.on('error', reject)
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
    })
    const [head = '', body = ''] = text.split('\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 431 /)
    const document = JSON.parse(body)
    expect(document).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' })
    expect(head).toContain(`x-request-id: ${document.requestId}`)
    expect(head).toContain(`content-security-policy: ${normal.headers['content-security-policy']}`)
  })

  it('should send no security headers with security: false, and nothing at all with errors: false', async () => {
    const app = await withServerOptions({ security: false })
    const res = await app.inject('/%E0%A4%A')
    expectProblem(res, 400, 'BAD_URL')
    expect(res.headers['x-content-type-options']).toBeUndefined()
    expect(keelServerOptions({ errors: false })).toEqual({})
  })

  it('should refuse options the preset refuses', () => {
    expect(() => keelServerOptions({ rateLimit: {} } as never)).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_PRESET_INVALID_OPTION' }),
    )
    expect(() => keelServerOptions({ requestId: { header: 'bad header' } })).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_REQUEST_ID_INVALID_HEADER' }),
    )
  })
})
