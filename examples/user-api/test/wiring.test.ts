// The environment reaches the plugins: RATE_LIMIT_MAX, TRUST_PROXY and CORS_ORIGINS change what a client sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteTarget, type Running, startApp, type Target, testConfig } from './harness.js'

describe('example configuration wiring', () => {
  let target: Target
  let running: Running

  beforeAll(async () => {
    target = await pgliteTarget()
    running = await startApp(
      testConfig(target, {
        rateLimitMax: 3,
        trustProxy: ['127.0.0.1', '::1'],
        corsOrigins: ['https://app.example.test'],
      }),
    )
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  it('should limit each client to RATE_LIMIT_MAX requests a minute, telling clients apart behind the proxy', async () => {
    const from = (ip: string) =>
      running.api.request('POST', '/auth/refresh', {
        body: { refreshToken: 'not-a-token' },
        headers: { 'x-forwarded-for': ip },
      })
    const first = [await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1')]
    expect(first.map((r) => r.status)).toEqual([401, 401, 401])
    expect(first[0]?.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60')
    const limited = await from('203.0.113.1')
    expect(limited.status).toBe(429)
    expect((limited.body as { code?: string }).code).toBe('RATE_LIMITED')
    expect(limited.headers.get('retry-after')).toBeTruthy()
    expect((await from('203.0.113.2')).status).toBe(401)
    // The probes are never limited.
    const live = await running.api.request('GET', '/health/live', { headers: { 'x-forwarded-for': '203.0.113.1' } })
    expect(live.status).toBe(200)
  })

  it('should allow CORS_ORIGINS and nobody else', async () => {
    const preflight = (origin: string) =>
      fetch(`${running.url}/auth/login`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
          'x-forwarded-for': '198.51.100.7',
        },
      })
    const allowed = await preflight('https://app.example.test')
    expect(allowed.status).toBeLessThan(300)
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test')
    const denied = await preflight('https://evil.example')
    expect(denied.headers.get('access-control-allow-origin')).toBeNull()
  })
})
