import Fastify, { type FastifyInstance } from 'fastify'
import keelDefault, * as root from 'fastify-keel'
import { keel, PRESET_CONFIG_CODES } from 'fastify-keel'
import * as auth from 'fastify-keel/auth'
import * as errors from 'fastify-keel/errors'
import * as health from 'fastify-keel/health'
import * as pagination from 'fastify-keel/pagination'
import * as requestId from 'fastify-keel/request-id'
import * as security from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'

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

  it('should re-export every public name of every subpath from the root', () => {
    const subpaths = { auth, errors, health, pagination, requestId, security }
    const owners = new Map<string, string>()
    for (const [subpath, exports] of Object.entries(subpaths)) {
      for (const [name, value] of Object.entries(exports)) {
        if (name === 'default') continue
        expect(owners.get(name), `${name} is exported by ${owners.get(name)} and ${subpath}`).toBeUndefined()
        owners.set(name, subpath)
        expect((root as Record<string, unknown>)[name], `${subpath}.${name}`).toBe(value)
      }
    }
    expect(owners.size).toBeGreaterThan(20)
  })
})
