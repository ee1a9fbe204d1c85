// The example behind REFRESH_TOKEN_TRANSPORT=cookie, over real HTTP: what a browser front end on the same site
// sees (the refresh token only in an HttpOnly cookie), and the CSRF refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, pgliteTarget, type Running, startApp, type Target, testConfig } from './harness.js'

const FRONT_END = 'https://app.example.test'
/** What the front end's fetch sends: the CSRF header, and (set by the browser) where it comes from. */
const fromFrontEnd = { 'x-requested-with': 'fetch', origin: FRONT_END, 'sec-fetch-site': 'same-site' }

function refreshCookie(response: ApiResponse<unknown>): string | undefined {
  const header = response.headers.getSetCookie().find((value) => value.startsWith('__Secure-keel_refresh='))
  return header?.split(';')[0]
}

function code(response: ApiResponse<unknown>): unknown {
  return (response.body as { code?: unknown }).code
}

describe('example in cookie mode', () => {
  let target: Target
  let running: Running

  beforeAll(async () => {
    target = await pgliteTarget()
    running = await startApp(
      testConfig(target, { refreshTokenTransport: 'cookie', refreshGraceWindow: 5000, corsOrigins: [FRONT_END] }),
    )
    // Every unsafe request under /auth needs the CSRF header in cookie mode, registration too.
    const registered = await running.api.request('POST', '/auth/register', {
      headers: fromFrontEnd,
      body: { email: 'browser@example.test', password: 'password-123', name: 'Browser' },
    })
    expect(registered.status).toBe(201)
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  async function login() {
    const response = await running.api.request<Record<string, unknown>>('POST', '/auth/login', {
      headers: fromFrontEnd,
      body: { email: 'browser@example.test', password: 'password-123' },
    })
    expect(response.status).toBe(200)
    return { body: response.body, cookie: refreshCookie(response)!, header: response.headers.getSetCookie()[0] }
  }

  it('should keep the refresh token out of the body, in an HttpOnly; Secure; SameSite=Strict cookie', async () => {
    const { body, cookie, header } = await login()
    expect(body.refreshToken).toBeUndefined()
    expect(body).toMatchObject({ tokenType: 'Bearer', sessionId: expect.any(String) })
    expect(cookie).toMatch(/^__Secure-keel_refresh=[A-Za-z0-9_-]{43}$/)
    expect(header).toMatch(/; HttpOnly/)
    expect(header).toMatch(/; Secure/)
    expect(header).toMatch(/; SameSite=Strict/)
    expect(header).toMatch(/; Path=\/auth/)
  })

  it('should answer a preflight of the front end with credentials and the CSRF header allowed', async () => {
    const response = await fetch(`${running.url}/auth/refresh`, {
      method: 'OPTIONS',
      headers: {
        origin: FRONT_END,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-requested-with',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONT_END)
    expect(response.headers.get('access-control-allow-credentials')).toBe('true')
    expect(response.headers.get('access-control-allow-headers')).toMatch(/x-requested-with/)
  })

  it('should refresh from the cookie, give two tabs the same new cookie, and end the session on logout', async () => {
    const { cookie } = await login()
    const tabs = await Promise.all(
      [1, 2].map(() =>
        running.api.request<{ accessToken: string }>('POST', '/auth/refresh', {
          headers: { ...fromFrontEnd, cookie },
        }),
      ),
    )
    expect(tabs.map((tab) => tab.status)).toEqual([200, 200])
    const next = refreshCookie(tabs[0]!)
    expect(next).toBeDefined()
    expect(refreshCookie(tabs[1]!)).toBe(next)
    const logout = await running.api.request('POST', '/auth/logout', {
      token: tabs[0]!.body.accessToken,
      headers: { ...fromFrontEnd, cookie: next! },
    })
    expect(logout.status).toBe(204)
    expect(logout.headers.get('clear-site-data')).toBe('"cookies"')
    expect(refreshCookie(logout)).toBe('__Secure-keel_refresh=')
    const after = await running.api.request('GET', '/users/me', { token: tabs[1]!.body.accessToken })
    expect([after.status, code(after)]).toEqual([401, 'TOKEN_REVOKED'])
  })

  it.each([
    [
      'a cross-site form post',
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { raw: 'x=1', contentType: 'application/x-www-form-urlencoded' },
    ],
    ['a request without the CSRF header', { origin: FRONT_END, 'sec-fetch-site': 'same-site' }, {}],
    ['the header from an origin not in CORS_ORIGINS', { ...fromFrontEnd, origin: 'https://other.example.test' }, {}],
  ])('should refuse %s to /auth/refresh with 403 CSRF_REJECTED', async (_name, headers, body) => {
    const { cookie } = await login()
    const response = await running.api.request('POST', '/auth/refresh', { headers: { ...headers, cookie }, ...body })
    expect([response.status, code(response)]).toEqual([403, 'CSRF_REJECTED'])
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    // The session is untouched.
    const ok = await running.api.request('POST', '/auth/refresh', { headers: { ...fromFrontEnd, cookie } })
    expect(ok.status).toBe(200)
  })

  it('should refuse a cross-site login form (login CSRF) before checking the password', async () => {
    const response = await running.api.request('POST', '/auth/login', {
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      raw: 'email=attacker%40evil.example&password=x',
      contentType: 'application/x-www-form-urlencoded',
    })
    expect([response.status, code(response)]).toEqual([403, 'CSRF_REJECTED'])
  })
})
