// The one options dialect, rule by rule, over all eight plugins (the seven subpaths and the `keel` preset):
// Fastify's register options are accepted, a typo is refused in the one message shape, durations have one grammar.
import Fastify, { type FastifyPluginAsync, type FastifyPluginCallback } from 'fastify'
import { keel } from 'fastify-keel'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelHealth } from 'fastify-keel/health'
import { keelOpenApi } from 'fastify-keel/openapi'
import { keelPagination } from 'fastify-keel/pagination'
import { keelRequestId } from 'fastify-keel/request-id'
import { keelSecurity } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'

type AnyPlugin = FastifyPluginAsync<object> | FastifyPluginCallback<object>

interface Row {
  /** The subpath (`''` for the preset of the root entry). */
  readonly subpath: string
  readonly plugin: AnyPlugin
  /** The least the plugin needs to register. */
  readonly minimal: Record<string, unknown>
  /** A misspelt option and the name the message must suggest. */
  readonly typo: readonly [string, string]
  /** A duration option (path from the plugin's options object), where the plugin has one. */
  readonly duration?: {
    readonly set: (ms: number | string) => Record<string, unknown>
    readonly path: string
    readonly owner?: string
  }
}

const authMinimal = { secret: 'a-test-secret-of-at-least-32-bytes!!', issuer: 'https://issuer.test', audience: 'test' }

const rows: Record<string, Row> = {
  'request-id': { subpath: 'request-id', plugin: keelRequestId as AnyPlugin, minimal: {}, typo: ['headr', 'header'] },
  errors: { subpath: 'errors', plugin: keelErrors as AnyPlugin, minimal: {}, typo: ['typeBaseUrl', 'typeBaseUri'] },
  security: {
    subpath: 'security',
    plugin: keelSecurity as AnyPlugin,
    minimal: {},
    typo: ['rateLimt', 'rateLimit'],
    duration: { set: (timeWindow) => ({ rateLimit: { timeWindow } }), path: 'rateLimit.timeWindow' },
  },
  health: {
    subpath: 'health',
    plugin: keelHealth as AnyPlugin,
    minimal: { underPressure: false },
    typo: ['cacheTTl', 'cacheTtl'],
    duration: { set: (cacheTtl) => ({ underPressure: false, cacheTtl }), path: 'cacheTtl' },
  },
  pagination: {
    subpath: 'pagination',
    plugin: keelPagination as AnyPlugin,
    minimal: {},
    typo: ['cursorSecrt', 'cursorSecret'],
  },
  auth: {
    subpath: 'auth',
    plugin: keelAuth as AnyPlugin,
    minimal: authMinimal,
    typo: ['accesTokenTtl', 'accessTokenTtl'],
    duration: { set: (accessTokenTtl) => ({ ...authMinimal, accessTokenTtl }), path: 'accessTokenTtl' },
  },
  openapi: { subpath: 'openapi', plugin: keelOpenApi as AnyPlugin, minimal: {}, typo: ['serverz', 'servers'] },
  keel: {
    subpath: '',
    plugin: keel as AnyPlugin,
    minimal: { health: { underPressure: false } },
    typo: ['securty', 'security'],
    duration: {
      set: (cacheTtl) => ({ health: { underPressure: false, cacheTtl } }),
      path: 'cacheTtl',
      owner: 'health',
    },
  },
}

const names = Object.keys(rows)

async function register(row: Row, options: Record<string, unknown>): Promise<void> {
  const app = Fastify()
  try {
    await app.register(row.plugin, options)
    await app.ready()
  } finally {
    await app.close()
  }
}

function codeOf(row: Row): string {
  const feature = row.subpath === '' ? 'PRESET' : row.subpath.toUpperCase().replace('-', '_')
  return `KEEL_ERR_${feature}_INVALID_OPTION`
}

function source(subpath: string): string {
  return subpath === '' ? 'fastify-keel' : `fastify-keel/${subpath}`
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

describe('the one options dialect', () => {
  describe("Fastify's register options", () => {
    it.each(names)('should be accepted by %s', async (name) => {
      const row = rows[name] as Row
      const options = { ...row.minimal, logLevel: 'warn', logSerializers: {} }
      await expect(register(row, options)).resolves.toBeUndefined()
      // health reads `prefix` as the path of its probes; for every other plugin Fastify ignores it (fastify-plugin).
      await expect(register(row, { ...options, prefix: '/api' })).resolves.toBeUndefined()
    })
  })

  describe('a misspelt option', () => {
    it.each(names)('should be refused by %s in the one message shape, with the name it meant', async (name) => {
      const row = rows[name] as Row
      const [typo, meant] = row.typo
      const message = new RegExp(
        `^${escapeRegExp(source(row.subpath))}: option "${typo}" is unknown, got 1; did you mean "${meant}"\\? known options are `,
      )
      await expect(register(row, { ...row.minimal, [typo]: 1 })).rejects.toMatchObject({
        name: 'KeelConfigError',
        code: codeOf(row),
        message: expect.stringMatching(message),
      })
    })
  })

  describe('durations', () => {
    const withDuration = names.filter((name) => rows[name]?.duration !== undefined)
    it.each(withDuration)("should take milliseconds, '5s' and '5 seconds' alike in %s", async (name) => {
      const row = rows[name] as Row
      const set = row.duration?.set as (ms: number | string) => Record<string, unknown>
      for (const value of [5000, '5000', '5s', '5 seconds', '5000ms', '0.5 minutes']) {
        await expect(register(row, set(value)), String(value)).resolves.toBeUndefined()
      }
    })

    it.each(withDuration)('should refuse a value outside the one grammar in %s, naming the option', async (name) => {
      const row = rows[name] as Row
      const { set, path, owner } = row.duration as NonNullable<Row['duration']>
      const message = new RegExp(
        `^${escapeRegExp(source(owner ?? row.subpath))}: option "${escapeRegExp(path)}" is not a duration, `,
      )
      for (const value of ['5 fortnights', '5m15s', 'soon', -1]) {
        await expect(register(row, set(value)), String(value)).rejects.toMatchObject({
          name: 'KeelConfigError',
          message: expect.stringMatching(message),
        })
      }
    })
  })
})
