import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import { HttpError } from 'fastify-keel/errors'
import { type KeelSecurityOptions, keelSecurity } from 'fastify-keel/security'
import { afterEach, describe, expect, it } from 'vitest'

const apps: FastifyInstance[] = []

async function build(options: KeelSecurityOptions = {}, setup?: (app: FastifyInstance) => void) {
  const app = Fastify()
  apps.push(app)
  await app.register(keelSecurity, options)
  app.get('/items', async () => ({ items: [] }))
  app.get('/boom', async () => {
    throw new HttpError(409, 'Already exists', { code: 'ALREADY_EXISTS' })
  })
  app.get('/crash', async () => {
    throw new Error('database exploded')
  })
  app.get('/cached', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60')
    return { cached: true }
  })
  setup?.(app)
  return app
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

const apiHeaders = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
}

describe('security', () => {
  describe('security headers', () => {
    it.each([
      ['a 200', '/items', 200],
      ['a 404', '/missing', 404],
      ['a thrown HttpError', '/boom', 409],
      ['a thrown 500', '/crash', 500],
    ])('should send the JSON API header set on %s', async (_name, url, status) => {
      const app = await build()
      const res = await app.inject(url)
      expect(res.statusCode).toBe(status)
      expect(res.headers).toMatchObject(apiHeaders)
      expect(res.headers['x-powered-by']).toBeUndefined()
    })

    it("should send none of helmet's HTML-page headers by default", async () => {
      const app = await build({ rateLimit: false })
      const res = await app.inject('/items')
      const securityHeaders = Object.keys(res.headers).filter(
        (name) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(name),
      )
      expect(securityHeaders.sort()).toEqual(Object.keys(apiHeaders).sort())
    })

    it.each([
      ['originAgentCluster', 'origin-agent-cluster', '?1'],
      ['xDnsPrefetchControl', 'x-dns-prefetch-control', 'off'],
      ['dnsPrefetchControl', 'x-dns-prefetch-control', 'off'],
      ['xDownloadOptions', 'x-download-options', 'noopen'],
      ['xPermittedCrossDomainPolicies', 'x-permitted-cross-domain-policies', 'none'],
      ['xXssProtection', 'x-xss-protection', '0'],
      ['xssFilter', 'x-xss-protection', '0'],
    ])('should send a header keel leaves off when helmet option %s is true', async (option, header, value) => {
      const app = await build({ helmet: { [option]: true } })
      const res = await app.inject('/items')
      expect(res.headers[header]).toBe(value)
      expect(res.headers).toMatchObject(apiHeaders)
    })

    it('should send the header set on a 429', async () => {
      const app = await build({ rateLimit: { max: 1 } })
      await app.inject('/items')
      const res = await app.inject('/items')
      expect(res.statusCode).toBe(429)
      expect(res.headers).toMatchObject(apiHeaders)
    })

    it('should keep a cache policy the route set itself', async () => {
      const app = await build()
      const res = await app.inject('/cached')
      expect(res.headers['cache-control']).toBe('public, max-age=60')
      expect(res.headers['x-frame-options']).toBe('DENY')
    })

    it('should merge user helmet options over the API defaults', async () => {
      const app = await build({
        helmet: {
          strictTransportSecurity: { maxAge: 63072000, includeSubDomains: true, preload: true },
          contentSecurityPolicy: { directives: { imgSrc: ["'self'"] } },
          frameguard: { action: 'sameorigin' },
        },
      })
      const res = await app.inject('/items')
      expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload')
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none';img-src 'self'")
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(res.headers['referrer-policy']).toBe('no-referrer')
    })

    it('should drop a header the user turned off', async () => {
      const app = await build({ helmet: { strictTransportSecurity: false } })
      const res = await app.inject('/items')
      expect(res.headers['strict-transport-security']).toBeUndefined()
      expect(res.headers['x-content-type-options']).toBe('nosniff')
    })

    it('should send only cache-control when helmet is false', async () => {
      const app = await build({ helmet: false })
      const res = await app.inject('/items')
      expect(res.headers['content-security-policy']).toBeUndefined()
      expect(res.headers['x-frame-options']).toBeUndefined()
      expect(res.headers['cache-control']).toBe('no-store')
    })

    it('should loosen the CSP of one route through config.security.helmet', async () => {
      const app = await build({}, (app) => {
        app.get(
          '/docs',
          {
            config: {
              security: {
                helmet: {
                  contentSecurityPolicy: {
                    directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], imgSrc: ["'self'", 'data:'] },
                  },
                  xFrameOptions: false,
                },
              },
            },
          },
          async (_request, reply) => reply.type('text/html').send('<html></html>'),
        )
      })
      const page = await app.inject('/docs')
      expect(page.headers['content-security-policy']).toBe(
        "default-src 'self';frame-ancestors 'none';script-src 'self';img-src 'self' data:",
      )
      expect(page.headers['x-frame-options']).toBeUndefined()
      expect(page.headers['x-content-type-options']).toBe('nosniff')
      const other = await app.inject('/items')
      expect(other.headers['content-security-policy']).toBe(apiHeaders['content-security-policy'])
      expect(other.headers['x-frame-options']).toBe('DENY')
    })

    it('should drop every helmet header on a route with helmet: false', async () => {
      const app = await build({}, (app) => {
        app.get('/raw', { config: { security: { helmet: false } } }, async () => 'raw')
      })
      const res = await app.inject('/raw')
      expect(res.headers['content-security-policy']).toBeUndefined()
      expect(res.headers['strict-transport-security']).toBeUndefined()
      expect(res.headers['cache-control']).toBe('no-store')
    })

    it('should let the Swagger UI page load with staticCSP while keeping the other headers', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelSecurity)
      await app.register(swagger, { openapi: { info: { title: 'API', version: '1.0.0' } } })
      await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
      const res = await app.inject('/docs')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-security-policy']).toContain("script-src 'self'")
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect((await app.inject('/docs/json')).statusCode).toBe(200)
    })

    it('should send the headers over a real connection', async () => {
      const app = await build()
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      const res = await fetch(`${address}/missing`)
      expect(res.status).toBe(404)
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('content-security-policy')).toBe(apiHeaders['content-security-policy'])
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.headers.get('x-powered-by')).toBeNull()
    })
  })
})
