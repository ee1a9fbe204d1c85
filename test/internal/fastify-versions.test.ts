import { readFileSync } from 'node:fs'
import fastifyCors from '@fastify/cors'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyPluginAsync } from 'fastify'
import { keel } from 'fastify-keel'
import { keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelHealth } from 'fastify-keel/health'
import { keelPagination } from 'fastify-keel/pagination'
import { keelRequestId } from 'fastify-keel/request-id'
import { keelResourceServer } from 'fastify-keel/resource-server'
import { keelSecurity } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'

const plugins: Record<string, FastifyPluginAsync<never>> = {
  'fastify-keel': keel,
  'fastify-keel-auth': keelAuth,
  'fastify-keel-errors': keelErrors,
  'fastify-keel-health': keelHealth,
  'fastify-keel-pagination': keelPagination,
  'fastify-keel-request-id': keelRequestId,
  'fastify-keel-resource-server': keelResourceServer,
  'fastify-keel-security': keelSecurity,
}
const meta = (plugin: unknown) =>
  (plugin as Record<symbol, { name?: string; fastify?: string } | undefined>)[Symbol.for('plugin-meta')]

/** An app that reports `version`, as Fastify's plugin version check reads it. */
function reportingVersion(version: string) {
  const app = Fastify()
  Object.defineProperty(app, 'version', { value: version })
  return app
}

describe('Fastify versions', () => {
  it.each(Object.entries(plugins))('should declare %s for Fastify 5 and 6', (name, plugin) => {
    expect(meta(plugin)).toEqual({ name, fastify: '5.x || 6.x' })
  })

  it('should ask for the same majors as a peer dependency', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    expect(pkg.peerDependencies.fastify).toBe('^5.12.0 || ^6.0.0-0')
  })

  // keel's own plugins; those that register @fastify/* plugins wait for them (README.md, "Compatibility").
  it.each([
    ['keelErrors', keelErrors],
    ['keelRequestId', keelRequestId],
    ['keelPagination', keelPagination],
  ])('should let a Fastify reporting 6.0.0 register %s', async (_name, plugin) => {
    const app = reportingVersion('6.0.0')
    try {
      await app.register(plugin as FastifyPluginAsync)
      await expect(app.ready()).resolves.toBeDefined()
    } finally {
      await app.close()
    }
  })

  // README.md ("Compatibility") names the @fastify/* plugins keel registers that do not declare Fastify 6
  // yet. When one does, this fails: update the README and the dependency's range.
  it('should name in the README every registered @fastify plugin still declaring Fastify 5 only', () => {
    const registered = { '@fastify/cors': fastifyCors, '@fastify/under-pressure': underPressure }
    const waiting = Object.entries(registered)
      .filter(([, plugin]) => meta(plugin)?.fastify === '5.x')
      .map(([name]) => name)
    expect(waiting).toEqual(['@fastify/cors', '@fastify/under-pressure'])
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const compatibility = readme.slice(readme.indexOf('## Compatibility'), readme.indexOf('## Documentation'))
    for (const name of waiting) expect(compatibility).toContain(`\`${name}\``)
  })

  it('should be refused by a Fastify reporting 7.0.0', async () => {
    const app = reportingVersion('7.0.0')
    try {
      await expect(app.register(keelErrors).ready()).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_VERSION_MISMATCH' })
    } finally {
      await app.close().catch(() => {})
    }
  })
})
