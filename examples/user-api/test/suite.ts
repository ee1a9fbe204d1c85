// The end-to-end suite of the example app, run once per storage target (e2e-*.test.ts): the user flow,
// the admin flows, and a table of malformed requests, all over real HTTP.
import { createHmac, randomUUID } from 'node:crypto'
import LinkHeader from 'http-link-header'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN,
  type ApiResponse,
  type Client,
  problemCode,
  type RequestOptions,
  type Running,
  startApp,
  type Target,
  type TokenPairBody,
  testConfig,
  type UserBody,
} from './harness.js'

const PASSWORD = 'password-123'

function expectProblem(response: ApiResponse<unknown>, status: number, code?: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const body = response.body as Record<string, unknown>
  expect(body.status).toBe(status)
  expect(typeof body.title).toBe('string')
  if (code !== undefined) expect(body.code).toBe(code)
}

/** Everything in `value` as text, to search for fields that must never be sent. */
function serialized(value: unknown): string {
  return JSON.stringify(value)
}

/** A JWT signed with a key the app does not know, or with `alg: none`. */
function forgeJwt(alg: 'HS256' | 'none', payload: Record<string, unknown>, secret = 'not-the-secret'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const head = `${part({ alg, typ: 'JWT' })}.${part(payload)}`
  if (alg === 'none') return `${head}.`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

/** Follows `rel="next"` links from `firstPath` and returns every item in order, plus the page count. */
async function walk(api: Client, token: string, firstPath: string): Promise<{ items: UserBody[]; pages: number }> {
  const items: UserBody[] = []
  let path: string | undefined = firstPath
  let pages = 0
  while (path !== undefined) {
    const response: ApiResponse<{ data: UserBody[]; pagination: { nextCursor: string | null; hasMore: boolean } }> =
      await api.request('GET', path, { token })
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    pages += 1
    items.push(...response.body.data)
    const link = response.headers.get('link')
    if (response.body.pagination.hasMore) {
      expect(link).not.toBeNull()
      const next = LinkHeader.parse(link ?? '').rel('next')[0]
      expect(next).toBeDefined()
      const url = new URL(next?.uri ?? '', api.baseUrl)
      expect(url.searchParams.get('cursor')).toBe(response.body.pagination.nextCursor)
      path = `${url.pathname}${url.search}`
    } else {
      expect(response.body.pagination.nextCursor).toBeNull()
      path = undefined
    }
    expect(pages).toBeLessThan(50)
  }
  return { items, pages }
}

export function defineEndToEndSuite(makeTarget: () => Promise<Target>): void {
  let target: Target
  let running: Running
  let api: Client
  const run = randomUUID().slice(0, 8)
  const email = (name: string) => `${name}-${run}@example.test`

  beforeAll(async () => {
    target = await makeTarget()
    running = await startApp(testConfig(target))
    api = running.api
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  describe('user flow', () => {
    it('should register, log in, refresh, detect reuse, change password and log out', async () => {
      const registered = await api.request<{ user: UserBody }>('POST', '/auth/register', {
        body: { email: `  ${email('Alice').toUpperCase()} `, password: PASSWORD, name: 'Alice' },
      })
      expect(registered.status).toBe(201)
      expect(registered.body.user).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: email('alice'),
        name: 'Alice',
        role: 'user',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      })
      expect(registered.body.user.updatedAt).toBe(registered.body.user.createdAt)
      expect(registered.headers.get('x-request-id')).toBeTruthy()

      const first = await api.login(email('alice'))
      expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number) })
      const me = await api.request<{ user: UserBody }>('GET', '/users/me', { token: first.accessToken })
      expect(me.status).toBe(200)
      expect(me.body.user.id).toBe(registered.body.user.id)

      const second = await api.request<TokenPairBody>('POST', '/auth/refresh', {
        body: { refreshToken: first.refreshToken },
      })
      expect(second.status).toBe(200)
      expect(second.body.refreshToken).not.toBe(first.refreshToken)

      // Replaying the rotated token looks like theft: 401, and the whole family is revoked.
      const replay = await api.request('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } })
      expectProblem(replay, 401, 'REFRESH_TOKEN_REUSED')
      const afterReuse = await api.request('POST', '/auth/refresh', {
        body: { refreshToken: second.body.refreshToken },
      })
      expectProblem(afterReuse, 401)

      const third = await api.login(email('alice'))
      const changed = await api.request('PUT', '/users/me/password', {
        token: third.accessToken,
        body: { currentPassword: PASSWORD, newPassword: 'a-new-password' },
      })
      expect(changed.status).toBe(204)
      expectProblem(await api.request('GET', '/users/me', { token: third.accessToken }), 401)
      expectProblem(await api.request('POST', '/auth/refresh', { body: { refreshToken: third.refreshToken } }), 401)
      expectProblem(
        await api.request('POST', '/auth/login', { body: { email: email('alice'), password: PASSWORD } }),
        401,
        'INVALID_CREDENTIALS',
      )

      const fourth = await api.login(email('alice'), 'a-new-password')
      const logout = await api.request('POST', '/auth/logout', {
        token: fourth.accessToken,
        body: { refreshToken: fourth.refreshToken },
      })
      expect(logout.status).toBe(204)
      expectProblem(await api.request('POST', '/auth/refresh', { body: { refreshToken: fourth.refreshToken } }), 401)
    })

    it("should not let a user log out another user's session", async () => {
      await api.register(email('oscar'))
      await api.register(email('peggy'))
      const oscar = await api.login(email('oscar'))
      const peggy = await api.login(email('peggy'))
      const logout = await api.request('POST', '/auth/logout', {
        token: oscar.accessToken,
        body: { refreshToken: peggy.refreshToken },
      })
      // A silent no-op: the answer does not tell whether the token exists.
      expect(logout.status).toBe(204)
      const refreshed = await api.request('POST', '/auth/refresh', { body: { refreshToken: peggy.refreshToken } })
      expect(refreshed.status).toBe(200)
    })

    it('should refuse a second account with the same email in another case', async () => {
      await api.register(email('bob'))
      const again = await api.request('POST', '/auth/register', {
        body: { email: email('BOB'), password: PASSWORD, name: 'Bob again' },
      })
      expectProblem(again, 409, 'EMAIL_TAKEN')
    })

    it('should answer an unknown email and a wrong password with the same problem', async () => {
      await api.register(email('carol'))
      const unknown = await api.request('POST', '/auth/login', { body: { email: email('nobody'), password: PASSWORD } })
      const wrong = await api.request('POST', '/auth/login', {
        body: { email: email('carol'), password: 'wrong-pass' },
      })
      expectProblem(unknown, 401, 'INVALID_CREDENTIALS')
      expectProblem(wrong, 401, 'INVALID_CREDENTIALS')
      // A 401 carries a challenge (RFC 9110); no bearer token was sent, so no error attribute (RFC 6750 §3.1).
      expect([unknown.headers.get('www-authenticate'), wrong.headers.get('www-authenticate')]).toEqual([
        'Bearer',
        'Bearer',
      ])
      const comparable = (r: ApiResponse<unknown>) => {
        const { requestId: _id, ...rest } = r.body as Record<string, unknown>
        return rest
      }
      expect(comparable(unknown)).toEqual(comparable(wrong))
    })

    it('should update the name of the current user', async () => {
      await api.register(email('dave'))
      const { accessToken } = await api.login(email('dave'))
      const patched = await api.request<{ user: UserBody }>('PATCH', '/users/me', {
        token: accessToken,
        body: { name: 'David' },
      })
      expect(patched.status).toBe(200)
      expect(patched.body.user).toMatchObject({ name: 'David', role: 'user' })
    })

    it('should never send a password hash', async () => {
      const user = await api.register(email('erin'), 'Erin')
      const { accessToken } = await api.login(email('erin'))
      const admin = await api.login(ADMIN.email, ADMIN.password)
      const bodies = await Promise.all([
        api.request('GET', '/users/me', { token: accessToken }),
        api.request('GET', `/users/${user.id}`, { token: admin.accessToken }),
        api.request('GET', `/users?q=${encodeURIComponent(email('erin'))}`, { token: admin.accessToken }),
        api.request('PATCH', '/users/me', { token: accessToken, body: { name: 'Erin E.' } }),
      ])
      for (const response of bodies) {
        expect(response.status).toBe(200)
        expect(serialized(response.body)).not.toMatch(/password|scrypt|hash/i)
      }
      expect(serialized(user)).not.toMatch(/password|scrypt|hash/i)
    })

    it('should limit failed logins per client and email', async () => {
      const victim = email('frank')
      await api.register(victim)
      const attempts = []
      for (let i = 0; i < 5; i++) {
        attempts.push(await api.request('POST', '/auth/login', { body: { email: victim, password: 'wrong-pass' } }))
      }
      expect(attempts.map((r) => r.status)).toEqual([401, 401, 401, 401, 401])
      const limited = await api.request('POST', '/auth/login', { body: { email: victim, password: PASSWORD } })
      expectProblem(limited, 429, 'RATE_LIMITED')
      expect(limited.headers.get('retry-after')).toBeTruthy()
      // Another email from the same client is not affected.
      await api.register(email('grace'))
      await api.login(email('grace'))
    })
  })

  describe('sessions', () => {
    type SessionBody = {
      id: string
      current: boolean
      createdAt: string
      lastUsedAt: string
      expiresAt: string
      userAgent?: string
      ip?: string
      device?: string
    }
    const loginOn = async (who: string, device: string) => {
      const response = await api.request<TokenPairBody>('POST', '/auth/login', {
        body: { email: who, password: PASSWORD, device },
        headers: { 'user-agent': `${device}-agent/1.0` },
      })
      expect(response.status).toBe(200)
      return response.body
    }
    const sessionsOf = (token: string, query = '') =>
      api.request<{ sessions: SessionBody[] }>('GET', `/auth/sessions${query}`, { token })

    it('should list the user sessions, mark the current one, and sign another one out everywhere', async () => {
      await api.register(email('devices'))
      const laptop = await loginOn(email('devices'), 'laptop')
      const phone = await loginOn(email('devices'), 'phone')
      expect(phone.sessionExpiresIn).toBe(90 * 86_400)
      const listed = await sessionsOf(laptop.accessToken)
      expect(listed.status).toBe(200)
      expect(listed.body.sessions).toEqual([
        {
          id: phone.sessionId,
          current: false,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          lastUsedAt: expect.any(String),
          expiresAt: expect.any(String),
          userAgent: 'phone-agent/1.0',
          ip: '127.0.0.1',
          device: 'phone',
        },
        expect.objectContaining({ id: laptop.sessionId, current: true, device: 'laptop' }),
      ])
      const signOut = () => api.request('DELETE', `/auth/sessions/${phone.sessionId}`, { token: laptop.accessToken })
      expect((await signOut()).status).toBe(204)
      // Session-bound access tokens: the phone's stops working at once, not when it expires.
      expectProblem(await api.request('GET', '/users/me', { token: phone.accessToken }), 401, 'TOKEN_REVOKED')
      expectProblem(await api.request('POST', '/auth/refresh', { body: { refreshToken: phone.refreshToken } }), 401)
      expect((await sessionsOf(laptop.accessToken)).body.sessions.map((session) => session.id)).toEqual([
        laptop.sessionId,
      ])
      expectProblem(await signOut(), 404, 'SESSION_NOT_FOUND')
    })

    it("should not let a user see or end another user's sessions, and let an admin do both", async () => {
      await api.register(email('snoop'))
      const victim = await api.register(email('victim'))
      const snoop = await loginOn(email('snoop'), 'laptop')
      const theirs = await loginOn(email('victim'), 'phone')
      expectProblem(await sessionsOf(snoop.accessToken, `?userId=${victim.id}`), 403, 'FORBIDDEN')
      const guess = await api.request('DELETE', `/auth/sessions/${theirs.sessionId}`, { token: snoop.accessToken })
      expectProblem(guess, 404, 'SESSION_NOT_FOUND')
      expect((await api.request('GET', '/users/me', { token: theirs.accessToken })).status).toBe(200)

      const admin = await api.login(ADMIN.email, ADMIN.password)
      const listed = await sessionsOf(admin.accessToken, `?userId=${victim.id}`)
      expect(listed.body.sessions.map((session) => session.id)).toEqual([theirs.sessionId])
      const ended = await api.request('DELETE', `/auth/sessions/${theirs.sessionId}?userId=${victim.id}`, {
        token: admin.accessToken,
      })
      expect(ended.status).toBe(204)
      expectProblem(await api.request('GET', '/users/me', { token: theirs.accessToken }), 401, 'TOKEN_REVOKED')
    })

    it('should end the session on logout: its access token stops working at once', async () => {
      await api.register(email('leaver'))
      const pair = await api.login(email('leaver'))
      expect((await api.request('POST', '/auth/logout', { token: pair.accessToken, body: {} })).status).toBe(204)
      expectProblem(await api.request('GET', '/users/me', { token: pair.accessToken }), 401, 'TOKEN_REVOKED')
      expectProblem(await api.request('POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } }), 401)
    })
  })

  describe('admin flows', () => {
    let adminToken: string
    let userToken: string
    let members: UserBody[]

    beforeAll(async () => {
      adminToken = (await api.login(ADMIN.email, ADMIN.password)).accessToken
      const numbers = Array.from({ length: 60 }, (_, i) => i)
      // Names in an order unrelated to creation order and to email order.
      members = await Promise.all(
        numbers.map((i) => {
          const n = String((i * 37) % 60).padStart(2, '0')
          return api.register(email(`member-${String(i).padStart(2, '0')}`), `Member ${n}`)
        }),
      )
      userToken = (await api.login(members[0]?.email ?? '')).accessToken
    })

    it.each([
      ['name', (a: UserBody, b: UserBody) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)],
      ['-email', (a: UserBody, b: UserBody) => (a.email < b.email ? 1 : a.email > b.email ? -1 : 0)],
      ['createdAt', (a: UserBody, b: UserBody) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1)],
      [
        '-createdAt,name',
        (a: UserBody, b: UserBody) => b.createdAt.localeCompare(a.createdAt) || (a.name < b.name ? -1 : 1),
      ],
    ])('should list 60 users over several cursor pages sorted by %s', async (sort, compare) => {
      const { items, pages } = await walk(api, adminToken, `/users?limit=7&q=member-&sort=${encodeURIComponent(sort)}`)
      expect(pages).toBe(9)
      expect(items).toHaveLength(60)
      expect(new Set(items.map((u) => u.id)).size).toBe(60)
      expect(new Set(items.map((u) => u.id))).toEqual(new Set(members.map((u) => u.id)))
      expect(items).toEqual([...items].sort(compare))
    })

    it('should find users by a piece of their email or name, in any case', async () => {
      const byEmail = await api.request<{ data: UserBody[] }>('GET', `/users?q=${encodeURIComponent('MEMBER-07')}`, {
        token: adminToken,
      })
      expect(byEmail.body.data.map((u) => u.email)).toEqual([email('member-07')])
      const byName = await api.request<{ data: UserBody[] }>('GET', '/users?q=member%2059&limit=100', {
        token: adminToken,
      })
      expect(byName.body.data.map((u) => u.name)).toEqual(['Member 59'])
    })

    it('should find names in any case beyond ASCII', async () => {
      const user = await api.register(email('elodie'), 'Élodie Ünal-Søren')
      const search = async (q: string) =>
        (
          await api.request<{ data: UserBody[] }>('GET', `/users?q=${encodeURIComponent(q)}`, { token: adminToken })
        ).body.data.map((u) => u.id)
      expect(await search('élodie')).toEqual([user.id])
      expect(await search('ÉLODIE')).toEqual([user.id])
      expect(await search('üNAL-SØ')).toEqual([user.id])
      // Renaming keeps the search form in step.
      const renamed = await api.request('PATCH', `/users/${user.id}`, { token: adminToken, body: { name: 'Ωmega' } })
      expect(renamed.status).toBe(200)
      expect(await search('ωMEGA')).toEqual([user.id])
      expect(await search('élodie')).toEqual([])
    })

    it('should reject a cursor from a listing with another sort', async () => {
      const first = await api.request<{ pagination: { nextCursor: string } }>('GET', '/users?limit=2&sort=name', {
        token: adminToken,
      })
      const cursor = first.body.pagination.nextCursor
      const other = await api.request('GET', `/users?limit=2&sort=email&cursor=${encodeURIComponent(cursor)}`, {
        token: adminToken,
      })
      expectProblem(other, 400, 'INVALID_CURSOR')
    })

    it('should get, patch and delete a user', async () => {
      const target = members[1]!
      const got = await api.request<{ user: UserBody }>('GET', `/users/${target.id}`, { token: adminToken })
      expect(got.status).toBe(200)
      expect(got.body.user).toEqual(target)

      const patched = await api.request<{ user: UserBody }>('PATCH', `/users/${target.id}`, {
        token: adminToken,
        body: { name: 'Renamed' },
      })
      expect(patched.status).toBe(200)
      expect(patched.body.user).toMatchObject({ id: target.id, name: 'Renamed', role: 'user' })

      const { accessToken, refreshToken } = await api.login(target.email)
      expect((await api.request('DELETE', `/users/${target.id}`, { token: adminToken })).status).toBe(204)
      expectProblem(await api.request('GET', `/users/${target.id}`, { token: adminToken }), 404, 'USER_NOT_FOUND')
      // Deleting a user revokes their tokens.
      expectProblem(await api.request('GET', '/users/me', { token: accessToken }), 401)
      expectProblem(await api.request('POST', '/auth/refresh', { body: { refreshToken } }), 401)
      expectProblem(await api.request('DELETE', `/users/${target.id}`, { token: adminToken }), 404, 'USER_NOT_FOUND')
    })

    it('should let a user read their own record but not anybody else', async () => {
      const self = await api.request<{ user: UserBody }>('GET', `/users/${members[0]?.id}`, { token: userToken })
      expect(self.status).toBe(200)
      expectProblem(await api.request('GET', `/users/${members[2]?.id}`, { token: userToken }), 403)
    })

    it.each([
      ['GET', '/users', undefined],
      ['PATCH', `/users/${randomUUID()}`, { name: 'x' }],
      ['DELETE', `/users/${randomUUID()}`, undefined],
    ])('should answer 403 to a non-admin calling %s %s', async (method, path, body) => {
      expectProblem(await api.request(method, path, { token: userToken, body }), 403)
    })

    it.each([
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ])('should answer 404 USER_NOT_FOUND to %s on an unknown id', async (method, body) => {
      expectProblem(
        await api.request(method, `/users/${randomUUID()}`, { token: adminToken, body }),
        404,
        'USER_NOT_FOUND',
      )
    })

    it('should protect the last admin from demotion and deletion', async () => {
      const admin = (await api.request<{ user: UserBody }>('GET', '/users/me', { token: adminToken })).body.user
      expectProblem(
        await api.request('PATCH', `/users/${admin.id}`, { token: adminToken, body: { role: 'user' } }),
        409,
        'LAST_ADMIN',
      )
      expectProblem(await api.request('DELETE', `/users/${admin.id}`, { token: adminToken }), 409, 'LAST_ADMIN')

      // With a second admin, either one can step down.
      const helper = members[3]!
      const promoted = await api.request<{ user: UserBody }>('PATCH', `/users/${helper.id}`, {
        token: adminToken,
        body: { role: 'admin' },
      })
      expect(promoted.body.user.role).toBe('admin')
      const helperToken = (await api.login(helper.email)).accessToken
      expect((await api.request('GET', '/users?limit=1', { token: helperToken })).status).toBe(200)
      const demoted = await api.request<{ user: UserBody }>('PATCH', `/users/${helper.id}`, {
        token: adminToken,
        body: { role: 'user' },
      })
      expect(demoted.body.user.role).toBe('user')
      // A role change logs the user out, so the old admin token no longer works.
      expectProblem(await api.request('GET', '/users?limit=1', { token: helperToken }), 401)
    })
  })

  describe('bad input', () => {
    let userToken: string
    let adminToken: string
    const huge = 'x'.repeat(10_000)

    beforeAll(async () => {
      await api.register(email('mallory'))
      userToken = (await api.login(email('mallory'))).accessToken
      adminToken = (await api.login(ADMIN.email, ADMIN.password)).accessToken
    })

    const valid = { email: 'new@example.test', password: PASSWORD, name: 'New' }
    const claims = () => ({
      sub: randomUUID(),
      roles: ['admin'],
      iss: 'fastify-keel-user-api',
      aud: 'fastify-keel-user-api',
    })
    // [name, method, path, request, expected status, expected code (when it matters)]
    type Case = [string, string, string, RequestOptions | (() => RequestOptions), number, string?]
    const cases: Case[] = [
      ['register without email', 'POST', '/auth/register', { body: { password: PASSWORD, name: 'N' } }, 400],
      ['register without password', 'POST', '/auth/register', { body: { email: valid.email, name: 'N' } }, 400],
      ['register without name', 'POST', '/auth/register', { body: { email: valid.email, password: PASSWORD } }, 400],
      ['register with an extra field', 'POST', '/auth/register', { body: { ...valid, role: 'admin' } }, 400],
      ['register with a numeric email', 'POST', '/auth/register', { body: { ...valid, email: 42 } }, 400],
      ['register with a short password', 'POST', '/auth/register', { body: { ...valid, password: 'short' } }, 400],
      [
        'register with a 1025-char password',
        'POST',
        '/auth/register',
        { body: { ...valid, password: 'p'.repeat(1025) } },
        400,
      ],
      ['register with a 10 KB name', 'POST', '/auth/register', { body: { ...valid, name: huge } }, 400],
      ['register with a blank name', 'POST', '/auth/register', { body: { ...valid, name: '   ' } }, 400],
      ['register with a bad email', 'POST', '/auth/register', { body: { ...valid, email: 'not-an-email' } }, 400],
      ['register with an array body', 'POST', '/auth/register', { body: [valid] }, 400],
      ['register with a null body', 'POST', '/auth/register', { raw: 'null' }, 400],
      ['register with bad JSON', 'POST', '/auth/register', { raw: '{"email": "a@b.co",' }, 400],
      ['register with an empty JSON body', 'POST', '/auth/register', { raw: '', contentType: 'application/json' }, 400],
      // Fastify parses text/plain itself, so a text body reaches validation and fails there.
      ['register as text/plain', 'POST', '/auth/register', { raw: 'email=a@b.co', contentType: 'text/plain' }, 400],
      ['register as XML', 'POST', '/auth/register', { raw: '<user/>', contentType: 'application/xml' }, 415],
      [
        'register with __proto__',
        'POST',
        '/auth/register',
        { raw: `{"__proto__":{"role":"admin"},"email":"p@x.io","password":"${PASSWORD}","name":"P"}` },
        400,
      ],
      [
        'register with a 2 MB body',
        'POST',
        '/auth/register',
        { body: { ...valid, name: 'n'.repeat(2 * 1024 * 1024) } },
        413,
      ],
      ['login without password', 'POST', '/auth/login', { body: { email: valid.email } }, 400],
      [
        'login with a 2000-char password',
        'POST',
        '/auth/login',
        { body: { email: valid.email, password: 'p'.repeat(2000) } },
        400,
      ],
      ['login with an object email', 'POST', '/auth/login', { body: { email: { $ne: '' }, password: PASSWORD } }, 400],
      ['refresh without a token', 'POST', '/auth/refresh', { body: {} }, 400],
      ['refresh with a garbage token', 'POST', '/auth/refresh', { body: { refreshToken: 'garbage' } }, 401],
      ['refresh with a 600-char token', 'POST', '/auth/refresh', { body: { refreshToken: 'r'.repeat(600) } }, 400],
      ['logout without a token', 'POST', '/auth/logout', { body: { refreshToken: 'x' } }, 401],
      ['sessions without a token', 'GET', '/auth/sessions', {}, 401],
      ['sessions of a userId that is no uuid', 'GET', '/auth/sessions?userId=me', () => ({ token: userToken }), 400],
      ['end a session whose id is no uuid', 'DELETE', '/auth/sessions/current', () => ({ token: userToken }), 400],
      [
        'login with a 65-char device name',
        'POST',
        '/auth/login',
        { body: { email: valid.email, password: PASSWORD, device: 'd'.repeat(65) } },
        400,
      ],
      ['me without a token', 'GET', '/users/me', {}, 401],
      ['me with a garbage token', 'GET', '/users/me', { token: 'not.a.jwt' }, 401],
      ['me with an alg:none token', 'GET', '/users/me', () => ({ token: forgeJwt('none', claims()) }), 401],
      [
        'me with a token signed by another key',
        'GET',
        '/users/me',
        () => ({ token: forgeJwt('HS256', claims()) }),
        401,
      ],
      ['me with a Basic scheme', 'GET', '/users/me', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }, 401],
      ['me with a 10 KB token', 'GET', '/users/me', { token: huge }, 401],
      ['patch me with an empty name', 'PATCH', '/users/me', () => ({ token: userToken, body: { name: '' } }), 400],
      ['patch me with a role', 'PATCH', '/users/me', () => ({ token: userToken, body: { role: 'admin' } }), 400],
      [
        'patch me as form data',
        'PATCH',
        '/users/me',
        () => ({ token: userToken, raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }),
        415,
      ],
      [
        'change password without the new one',
        'PUT',
        '/users/me/password',
        () => ({ token: userToken, body: { currentPassword: PASSWORD } }),
        400,
      ],
      [
        'change password with a wrong current one',
        'PUT',
        '/users/me/password',
        () => ({ token: userToken, body: { currentPassword: 'nope-nope', newPassword: 'whatever-1' } }),
        400,
      ],
      ['get a user by a non-UUID id', 'GET', '/users/42', () => ({ token: adminToken }), 400],
      [
        'get a user by an injection id',
        'GET',
        `/users/${encodeURIComponent("1' OR '1'='1")}`,
        () => ({ token: adminToken }),
        400,
      ],
      ['delete a user by a non-UUID id', 'DELETE', '/users/not-a-uuid', () => ({ token: adminToken }), 400],
      [
        'patch a user with an unknown role',
        'PATCH',
        `/users/${randomUUID()}`,
        () => ({ token: adminToken, body: { role: 'superuser' } }),
        400,
      ],
      ['list with limit=0', 'GET', '/users?limit=0', () => ({ token: adminToken }), 400],
      ['list with limit=101', 'GET', '/users?limit=101', () => ({ token: adminToken }), 400],
      ['list with limit=abc', 'GET', '/users?limit=abc', () => ({ token: adminToken }), 400],
      ['list sorted by password', 'GET', '/users?sort=password', () => ({ token: adminToken }), 400],
      [
        'list sorted by SQL',
        'GET',
        `/users?sort=${encodeURIComponent('name;drop table users')}`,
        () => ({ token: adminToken }),
        400,
      ],
      ['list with a garbage cursor', 'GET', '/users?cursor=garbage', () => ({ token: adminToken }), 400],
      ['list with a 1 KB cursor', 'GET', `/users?cursor=${'a'.repeat(1024)}`, () => ({ token: adminToken }), 400],
      ['list with an empty search', 'GET', '/users?q=', () => ({ token: adminToken }), 400],
      // PostgreSQL text cannot hold U+0000: every string that reaches SQL must refuse it in its schema, before
      // the query (the db layer's 400 INVALID_VALUE is only a backstop).
      [
        'register with NUL in the name',
        'POST',
        '/auth/register',
        { body: { ...valid, name: 'a\u0000b' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'register with NUL in the email',
        'POST',
        '/auth/register',
        { body: { ...valid, email: 'nul\u0000@example.test' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'register with a lone NUL name',
        'POST',
        '/auth/register',
        { body: { ...valid, name: '\u0000' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'login with NUL in the email',
        'POST',
        '/auth/login',
        { body: { email: 'a\u0000@example.test', password: PASSWORD } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'patch me with NUL in the name',
        'PATCH',
        '/users/me',
        () => ({ token: userToken, body: { name: 'x\u0000' } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'patch a user with NUL in the name',
        'PATCH',
        `/users/${randomUUID()}`,
        () => ({ token: adminToken, body: { name: 'x\u0000y' } }),
        400,
        'VALIDATION_FAILED',
      ],
      ['list with NUL in the search', 'GET', '/users?q=a%00b', () => ({ token: adminToken }), 400, 'VALIDATION_FAILED'],
      ['an unknown route', 'GET', '/nope', {}, 404],
      ['an unknown method', 'DELETE', '/auth/login', {}, 404],
    ]

    it(`should answer ${cases.length} malformed requests with 4xx problem documents`, async () => {
      const mismatches: string[] = []
      for (const [name, method, path, options, expected, code] of cases) {
        const response = await api.request(method, path, typeof options === 'function' ? options() : options)
        const body = response.body as { status?: unknown; title?: unknown }
        const isProblem =
          /^application\/problem\+json/.test(response.headers.get('content-type') ?? '') &&
          body.status === response.status &&
          typeof body.title === 'string' &&
          problemCode(response) !== undefined &&
          response.headers.get('x-request-id') !== null
        if (
          response.status !== expected ||
          !isProblem ||
          (code !== undefined && problemCode(response) !== code) ||
          /at .*\.(ts|js):\d+/.test(serialized(body))
        ) {
          mismatches.push(`${name}: expected ${expected}, got ${response.status} ${serialized(body).slice(0, 200)}`)
        }
      }
      expect(mismatches).toEqual([])
      expect(cases.length).toBeGreaterThanOrEqual(30)
    })

    it.each(['not-a-uuid', '00000000-0000-4000-8000-000000000000'])(
      'should answer 401 to a valid token whose subject %s is no user',
      async (sub) => {
        const { accessToken } = await running.app.tokens.issue({ sub, roles: ['user'] })
        expectProblem(await api.request('GET', '/users/me', { token: accessToken }), 401, 'TOKEN_INVALID')
        expectProblem(await api.request('PATCH', '/users/me', { token: accessToken, body: { name: 'x' } }), 401)
        const change = await api.request('PUT', '/users/me/password', {
          token: accessToken,
          body: { currentPassword: PASSWORD, newPassword: 'whatever-1' },
        })
        expectProblem(change, 401, 'TOKEN_INVALID')
      },
    )

    it('should stay healthy after the bad input', async () => {
      const ready = await api.request<{ status: string; checks: Record<string, Array<{ status: string }>> }>(
        'GET',
        '/health/ready',
      )
      expect(ready.status).toBe(200)
      expect(ready.body.status).toBe('pass')
      // Readiness checks the database, and Redis when the app uses it.
      const expected = target.storage.redisUrl === undefined ? ['database'] : ['database', 'redis']
      expect(Object.keys(ready.body.checks).sort()).toEqual(expected)
      expect((await api.request('GET', '/users/me', { token: userToken })).status).toBe(200)
    })
  })
}
