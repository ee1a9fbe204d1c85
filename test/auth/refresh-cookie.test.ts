// Cookie mode: the refresh token in an HttpOnly; Secure; SameSite=Strict cookie under /auth, rewritten on every
// rotation, cleared on logout, and the CSRF check on every unsafe request the cookie reaches.
import cookie from '@fastify/cookie'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import { type KeelAuthOptions, keelAuth } from 'fastify-keel/auth'
import { keelErrors } from 'fastify-keel/errors'
import { keelSecurity } from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'
import { audience, bearer, hsSecret, issuer } from './fixtures.js'

const APP_ORIGIN = 'https://app.example.com'
/** What the app's own pages send with fetch: the CSRF header, and the browser's Sec-Fetch-Site. */
const fromApp = { 'x-requested-with': 'fetch', 'sec-fetch-site': 'same-origin' }

interface CookieAppOptions {
  auth?: Partial<KeelAuthOptions>
  /** keelSecurity's CORS, or false for no keelSecurity at all. */
  cors?: { origins: string[]; credentials: boolean } | false
  withCookiePlugin?: boolean
}

async function cookieApp(options: CookieAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keelErrors)
  if (options.withCookiePlugin !== false) await app.register(cookie)
  const cors = options.cors ?? { origins: [APP_ORIGIN], credentials: true }
  if (cors !== false) {
    await app.register(keelSecurity, {
      rateLimit: false,
      cors: { ...cors, allowedHeaders: ['authorization', 'content-type', 'x-requested-with'] },
    })
  }
  await app.register(keelAuth, {
    secret: hsSecret,
    issuer,
    audience,
    refreshToken: { transport: 'cookie' },
    ...options.auth,
  })
  app.post('/auth/login', async (_request, reply) => app.tokens.respond(reply, await app.tokens.issue({ sub: 'u1' })))
  app.post('/auth/refresh', async (request, reply) =>
    app.tokens.respond(reply, await app.tokens.rotate(app.tokens.fromRequest(request))),
  )
  app.post('/auth/logout', { onRequest: [app.authenticate] }, async (request, reply) => {
    await app.tokens.revoke(app.tokens.fromRequest(request), { sub: request.user.sub })
    app.tokens.clearCookie(reply)
    return reply.code(204).send()
  })
  app.get('/auth/sessions', { onRequest: [app.authenticate] }, async (request) => app.tokens.sessions(request.user.sub))
  app.post('/webhook', async () => ({ ok: true }))
  return app
}

/** The refresh cookie set by a response: its name, value and attributes. */
function refreshCookie(res: { headers: Record<string, unknown> }) {
  const header = [res.headers['set-cookie']].flat().find((value) => /^__(Host|Secure)-/.test(String(value)))
  if (header === undefined) return undefined
  const [pair, ...attributes] = String(header).split('; ')
  const [name, value] = pair!.split('=') as [string, string]
  return { name, value, attributes, cookie: `${name}=${value}` }
}

async function login(app: FastifyInstance) {
  const res = await app.inject({ method: 'POST', url: '/auth/login', headers: fromApp })
  expect(res.statusCode, res.body).toBe(200)
  return { body: res.json(), cookie: refreshCookie(res)! }
}

describe('auth: refresh cookie', () => {
  it('should set the refresh token in an HttpOnly; Secure; SameSite=Strict cookie under /auth, not in the body', async () => {
    const app = await cookieApp()
    try {
      const res = await app.inject({ method: 'POST', url: '/auth/login', headers: fromApp })
      const set = refreshCookie(res)
      expect(set?.name).toBe('__Secure-keel_refresh')
      expect(set?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(set?.attributes.sort()).toEqual(
        ['HttpOnly', 'Max-Age=2592000', 'Path=/auth', 'SameSite=Strict', 'Secure'].sort(),
      )
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toEqual({
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshTokenExpiresIn: 2592000,
        sessionId: expect.any(String),
        sessionExpiresIn: 7776000,
      })
    } finally {
      await app.close()
    }
  })

  it('should use the __Host- prefix when the cookie path is /', async () => {
    const app = await cookieApp({ auth: { refreshToken: { transport: 'cookie', cookiePath: '/', cookieName: 'rt' } } })
    try {
      const { cookie: set } = await login(app)
      expect(set.name).toBe('__Host-rt')
      expect(set.attributes).toContain('Path=/')
      // The whole app is the cookie's path now: every unsafe route checks CSRF.
      expect((await app.inject({ method: 'POST', url: '/webhook' })).json().code).toBe('CSRF_REJECTED')
    } finally {
      await app.close()
    }
  })

  it('should rotate from the cookie and rewrite it; the old value is then reuse', async () => {
    const app = await cookieApp()
    try {
      const { cookie: first } = await login(app)
      const refreshed = await app.inject({
        method: 'POST',
        url: '/auth/refresh',
        headers: { ...fromApp, cookie: first.cookie },
      })
      expect(refreshed.statusCode).toBe(200)
      const second = refreshCookie(refreshed)
      expect(second?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(second?.value).not.toBe(first.value)
      expect(refreshed.json().refreshToken).toBeUndefined()
      const replay = await app.inject({
        method: 'POST',
        url: '/auth/refresh',
        headers: { ...fromApp, cookie: first.cookie },
      })
      expect(replay.json().code).toBe('REFRESH_TOKEN_REUSED')
    } finally {
      await app.close()
    }
  })

  it('should give two tabs refreshing at once the same cookie within the grace window', async () => {
    const app = await cookieApp({ auth: { refreshToken: { transport: 'cookie' }, refreshGraceWindow: '5s' } })
    try {
      const { cookie: first } = await login(app)
      const tabs = await Promise.all(
        [1, 2].map(() =>
          app.inject({ method: 'POST', url: '/auth/refresh', headers: { ...fromApp, cookie: first.cookie } }),
        ),
      )
      expect(tabs.map((res) => res.statusCode)).toEqual([200, 200])
      expect(refreshCookie(tabs[0]!)?.value).toBe(refreshCookie(tabs[1]!)?.value)
    } finally {
      await app.close()
    }
  })

  it('should answer 401 REFRESH_TOKEN_INVALID to a refresh without the cookie', async () => {
    const app = await cookieApp()
    try {
      const res = await app.inject({ method: 'POST', url: '/auth/refresh', headers: fromApp })
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'REFRESH_TOKEN_INVALID' })
    } finally {
      await app.close()
    }
  })

  it('should clear the cookie on logout with Clear-Site-Data, and end the session', async () => {
    const app = await cookieApp()
    try {
      const { body, cookie: set } = await login(app)
      const res = await app.inject({
        method: 'POST',
        url: '/auth/logout',
        headers: { ...fromApp, ...bearer(body.accessToken), cookie: set.cookie },
      })
      expect(res.statusCode).toBe(204)
      expect(res.headers['clear-site-data']).toBe('"cookies"')
      const cleared = refreshCookie(res)
      expect(cleared?.value).toBe('')
      expect(cleared?.attributes).toEqual(
        expect.arrayContaining(['Max-Age=0', 'Path=/auth', 'HttpOnly', 'Secure', 'SameSite=Strict']),
      )
      const again = await app.inject({
        method: 'POST',
        url: '/auth/refresh',
        headers: { ...fromApp, cookie: set.cookie },
      })
      expect(again.json().code).toBe('REFRESH_TOKEN_REVOKED')
      const me = await app.inject({ url: '/auth/sessions', headers: bearer(body.accessToken) })
      expect(me.json().code).toBe('TOKEN_REVOKED')
    } finally {
      await app.close()
    }
  })

  describe('CSRF check', () => {
    const evil = 'https://evil.example'
    const refused: Array<[string, (cookieHeader: string, accessToken: string) => InjectOptions]> = [
      [
        'a cross-site form post',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: {
            cookie: cookieHeader,
            origin: evil,
            'sec-fetch-site': 'cross-site',
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: 'steal=1',
        }),
      ],
      [
        'a request without the CSRF header',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: { cookie: cookieHeader, 'sec-fetch-site': 'same-origin' },
        }),
      ],
      [
        'the header from another site',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: { cookie: cookieHeader, 'x-requested-with': 'fetch', origin: evil, 'sec-fetch-site': 'cross-site' },
        }),
      ],
      [
        'the header from a sibling origin CORS does not allow',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: {
            cookie: cookieHeader,
            'x-requested-with': 'fetch',
            origin: 'https://other.example.com',
            'sec-fetch-site': 'same-site',
          },
        }),
      ],
      [
        'an opaque origin (Origin: null)',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: { cookie: cookieHeader, 'x-requested-with': 'fetch', origin: 'null' },
        }),
      ],
      [
        'a cross-site request without Origin',
        (cookieHeader) => ({
          method: 'POST',
          url: '/auth/refresh',
          headers: { cookie: cookieHeader, 'x-requested-with': 'fetch', 'sec-fetch-site': 'cross-site' },
        }),
      ],
      [
        'a cross-site logout (with a stolen access token)',
        (cookieHeader, accessToken) => ({
          method: 'POST',
          url: '/auth/logout',
          headers: { cookie: cookieHeader, ...bearer(accessToken), origin: evil, 'sec-fetch-site': 'cross-site' },
        }),
      ],
      [
        'a cross-site login form (login CSRF)',
        () => ({
          method: 'POST',
          url: '/auth/login',
          headers: {
            origin: evil,
            'sec-fetch-site': 'cross-site',
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: 'email=attacker%40evil.example',
        }),
      ],
    ]

    it.each(refused)('should refuse %s with a 403 problem document', async (_name, request) => {
      const app = await cookieApp()
      try {
        const { body, cookie: set } = await login(app)
        const res = await app.inject(request(set.cookie, body.accessToken))
        expect(res.statusCode).toBe(403)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.json()).toMatchObject({ status: 403, code: 'CSRF_REJECTED' })
        expect(res.headers['www-authenticate']).toBeUndefined()
        expect(refreshCookie(res)).toBeUndefined()
        // Nothing happened to the session: it still refreshes from the app.
        const ok = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          headers: { ...fromApp, cookie: set.cookie },
        })
        expect(ok.statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['same-origin fetch', fromApp],
      [
        'an origin keelSecurity allows with credentials',
        { 'x-requested-with': 'x', origin: APP_ORIGIN, 'sec-fetch-site': 'same-site' },
      ],
      ['a non-browser client (no Origin, no Sec-Fetch-Site)', { 'x-requested-with': 'curl' }],
      [
        "the API's own origin from a browser without Sec-Fetch-Site",
        { 'x-requested-with': 'x', host: 'api.example.com', origin: 'http://api.example.com' },
      ],
    ])('should let %s through', async (_name, headers) => {
      const app = await cookieApp()
      try {
        const { cookie: set } = await login(app)
        const res = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          headers: { ...headers, cookie: set.cookie },
        })
        expect(res.statusCode, res.body).toBe(200)
      } finally {
        await app.close()
      }
    })

    it('should leave safe methods and routes outside the cookie path alone', async () => {
      const app = await cookieApp()
      try {
        const { body } = await login(app)
        const list = await app.inject({ url: '/auth/sessions', headers: { ...bearer(body.accessToken), origin: evil } })
        expect(list.statusCode).toBe(200)
        const hook = await app.inject({ method: 'POST', url: '/webhook', headers: { origin: evil } })
        expect(hook.statusCode).toBe(200)
      } finally {
        await app.close()
      }
    })

    it.each([
      ['without keelSecurity', false as const],
      ['when its CORS does not allow credentials', { origins: [APP_ORIGIN], credentials: false }],
    ])('should trust no other origin %s', async (_name, cors) => {
      const app = await cookieApp({ cors })
      try {
        const { cookie: set } = await login(app)
        const res = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          headers: { 'x-requested-with': 'x', origin: APP_ORIGIN, 'sec-fetch-site': 'same-site', cookie: set.cookie },
        })
        expect(res.json().code).toBe('CSRF_REJECTED')
      } finally {
        await app.close()
      }
    })

    it('should refuse a cross-site form post over a real connection before reading its body', async () => {
      const app = await cookieApp()
      try {
        const { cookie: set } = await login(app)
        const address = await app.listen({ port: 0, host: '127.0.0.1' })
        const res = await fetch(`${address}/auth/refresh`, {
          method: 'POST',
          headers: {
            cookie: set.cookie,
            origin: evil,
            'sec-fetch-site': 'cross-site',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'steal=1',
        })
        expect(res.status).toBe(403)
        expect(((await res.json()) as { code: string }).code).toBe('CSRF_REJECTED')
      } finally {
        await app.close()
      }
    })
  })

  describe('configuration', () => {
    it('should fail boot with a clear error when @fastify/cookie is not registered', async () => {
      const app = await cookieApp({ withCookiePlugin: false })
      await expect(app.ready()).rejects.toMatchObject({
        code: 'KEEL_ERR_AUTH_COOKIE_PLUGIN_MISSING',
        message: expect.stringContaining('npm install @fastify/cookie'),
      })
      await app.close()
    })

    it.each([
      ['a cookie option with the body transport', { transport: 'body', cookiePath: '/auth' }],
      ['an unknown transport', { transport: 'header' }],
      ['a relative cookie path', { transport: 'cookie', cookiePath: 'auth' }],
      ['a cookie path with a semicolon', { transport: 'cookie', cookiePath: '/auth;Domain=evil.example' }],
      ['a cookie name with a space', { transport: 'cookie', cookieName: 'refresh token' }],
      ['a CSRF header that is no header name', { transport: 'cookie', csrfHeader: 'x csrf' }],
      ['an unknown key', { transport: 'cookie', sameSite: 'none' }],
    ])('should refuse %s at boot', async (_name, refreshToken) => {
      const app = Fastify()
      app.register(keelAuth, { secret: hsSecret, issuer, audience, refreshToken: refreshToken as never })
      await expect(app.ready()).rejects.toMatchObject({ code: 'KEEL_ERR_AUTH_INVALID_OPTION' })
      await app.close()
    })
  })
})
