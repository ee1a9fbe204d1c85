// Rate limits key on request.ip, which is only the client's address when Fastify's trustProxy names the proxy.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'
import { captureLogs } from '../helpers/logs.js'

const apps: FastifyInstance[] = []
const proxyCodes = [
  'KEEL_SECURITY_TRUST_PROXY_OFF',
  'KEEL_SECURITY_TRUST_PROXY_HOP_COUNT',
  'KEEL_SECURITY_TRUST_PROXY_UNTRUSTED',
]

async function build(trustProxy: FastifyServerOptions['trustProxy'] | undefined, max = 100) {
  const { lines, stream } = captureLogs()
  const app = Fastify({ logger: { level: 'warn', stream }, ...(trustProxy === undefined ? {} : { trustProxy }) })
  apps.push(app)
  await app.register(keelSecurity, { rateLimit: { max } })
  app.get('/items', async () => ({ items: [] }))
  await app.ready()
  const warnings = () => lines.filter((line) => proxyCodes.includes(String(line.code)))
  const from = (forwardedFor?: string) =>
    app.inject({ url: '/items', headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } })
  return { app, warnings, from }
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

describe('security', () => {
  describe('trustProxy warnings', () => {
    it('should log one warning when x-forwarded-for arrives while trustProxy is off', async () => {
      const { warnings, from } = await build(undefined)
      for (let i = 0; i < 3; i++) await from('203.0.113.7')
      expect(warnings()).toHaveLength(1)
      expect(warnings()[0]).toMatchObject({ level: 40, code: 'KEEL_SECURITY_TRUST_PROXY_OFF' })
    })

    it('should warn once, at the first request, when trustProxy is a hop-count function', async () => {
      const { warnings, from } = await build((_address: string, hop: number) => hop < 1)
      for (let i = 0; i < 3; i++) await from()
      expect(warnings()).toHaveLength(1)
      expect(warnings()[0]).toMatchObject({ level: 40, code: 'KEEL_SECURITY_TRUST_PROXY_HOP_COUNT' })
    })

    it('should warn once when trustProxy is a number', async () => {
      // Fastify 5.12.8 made a hop count trust nothing (its types refuse numbers); older versions count hops.
      const { warnings, from } = await build(1 as unknown as FastifyServerOptions['trustProxy'])
      for (let i = 0; i < 3; i++) await from('203.0.113.7')
      expect(warnings()).toHaveLength(1)
      expect(['KEEL_SECURITY_TRUST_PROXY_HOP_COUNT', 'KEEL_SECURITY_TRUST_PROXY_UNTRUSTED']).toContain(
        warnings()[0]?.code,
      )
    })

    it('should warn when x-forwarded-for comes from a peer that trustProxy does not list', async () => {
      const { warnings, from } = await build(['10.0.0.0/8'])
      await from('203.0.113.7')
      await from('203.0.113.8')
      expect(warnings()).toHaveLength(1)
      expect(warnings()[0]).toMatchObject({ code: 'KEEL_SECURITY_TRUST_PROXY_UNTRUSTED', peer: '127.0.0.1' })
    })

    it.each<[string, FastifyServerOptions['trustProxy']]>([
      ['a list of proxy addresses', ['127.0.0.1', '10.0.0.0/8']],
      ['a comma-separated string', '127.0.0.1,10.0.0.0/8'],
      ['true', true],
      ['an address-based function', (address: string) => address === '127.0.0.1'],
    ])('should not warn when trustProxy is %s that trusts the proxy', async (_name, trustProxy) => {
      const { warnings, from } = await build(trustProxy)
      await from()
      await from('203.0.113.7')
      expect(warnings()).toHaveLength(0)
    })

    it('should key rate limits on the forwarded client address when trustProxy lists the proxy', async () => {
      const { from } = await build(['127.0.0.1'], 1)
      expect((await from('203.0.113.7')).statusCode).toBe(200)
      expect((await from('203.0.113.7')).statusCode).toBe(429)
      expect((await from('203.0.113.8')).statusCode).toBe(200)
    })
  })
})
