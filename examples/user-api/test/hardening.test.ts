// What a hostile client tries, answered as the contract says: undecodable URLs and over-long parameters are problem
// documents with the request id and security headers, bodies are not coerced, a stolen access token cannot guess
// the current password at the global rate, and a failure limit's 429 describes that limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, pgliteTarget, type Running, startApp, type Target, testConfig } from './harness.js'

const PASSWORD = 'password-123'

function expectProblem(response: ApiResponse<unknown>, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect((response.body as { code?: unknown }).code).toBe(code)
}

describe('example hardening', () => {
  let target: Target
  let running: Running

  beforeAll(async () => {
    target = await pgliteTarget()
    running = await startApp(testConfig(target, { loginRateLimit: 3 }))
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  it.each([
    ['an undecodable URL', '/users/%ZZ', 400, 'BAD_URL'],
    ['an over-long path parameter', `/users/${'a'.repeat(200)}`, 414, 'PARAM_TOO_LONG'],
  ])(
    'should answer %s with a problem document carrying the request id and security headers',
    async (_, path, status, code) => {
      const response = await running.api.request('GET', path)
      expectProblem(response, status, code)
      const id = response.headers.get('x-request-id')
      expect(id).toBeTruthy()
      expect((response.body as { requestId?: unknown }).requestId).toBe(id)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
    },
  )

  it('should refuse a body whose types are wrong instead of coercing them', async () => {
    await running.api.register('strict@example.test')
    const { accessToken } = await running.api.login('strict@example.test')
    const response = await running.api.request('PATCH', '/users/me', { token: accessToken, body: { name: 123 } })
    expectProblem(response, 400, 'VALIDATION_FAILED')
    const me = await running.api.request<{ user: { name: string } }>('GET', '/users/me', { token: accessToken })
    expect(me.body.user.name).toBe('Test User')
  })

  it('should limit failed current-password checks per user, whatever the global budget', async () => {
    await running.api.register('guessed@example.test')
    const { accessToken } = await running.api.login('guessed@example.test')
    const attempt = (currentPassword: string) =>
      running.api.request('PUT', '/users/me/password', {
        token: accessToken,
        body: { currentPassword, newPassword: 'new-password-456' },
      })
    for (let i = 0; i < 3; i++) expectProblem(await attempt(`guess-${i}-wrong`), 400, 'INVALID_CURRENT_PASSWORD')
    const refused = await attempt(PASSWORD)
    expectProblem(refused, 429, 'RATE_LIMITED')
    expect(refused.headers.get('ratelimit-policy')).toBe('"password-failures";q=3;w=60')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('should describe the failure limit, not the app-wide one, in a refused login', async () => {
    await running.api.register('locked@example.test')
    const attempt = () =>
      running.api.request('POST', '/auth/login', { body: { email: 'locked@example.test', password: 'wrong-pass' } })
    for (let i = 0; i < 3; i++) expectProblem(await attempt(), 401, 'INVALID_CREDENTIALS')
    const refused = await attempt()
    expectProblem(refused, 429, 'RATE_LIMITED')
    expect(refused.headers.get('ratelimit-policy')).toBe('"failures";q=3;w=60')
    expect(refused.headers.get('ratelimit')).toMatch(/^"failures";r=0;t=\d+$/)
    expect(refused.headers.get('retry-after')).toBe(refused.headers.get('ratelimit')?.split('t=')[1])
  })
})
