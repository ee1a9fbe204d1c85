// Two instances of the example on one PostgreSQL + Redis: they share the login limit, the sessions and their
// refresh-token families, and the revocations, as replicas behind a load balancer must.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ADMIN, type ApiResponse, postgresTarget, type Running, startApp, type Target, testConfig } from './harness.js'
import { describeWithDatabase, describeWithRedis } from './helpers/services.js'

function code(response: ApiResponse<unknown>): unknown {
  return (response.body as { code?: unknown }).code
}

describeWithDatabase('example with two instances on PostgreSQL + Redis', (databaseUrl) => {
  describeWithRedis('sharing Redis', (redisUrl) => defineTwoInstanceTests(databaseUrl, redisUrl))
})

function defineTwoInstanceTests(databaseUrl: string, redisUrl: string): void {
  let target: Target
  let a: Running
  let b: Running

  beforeAll(async () => {
    target = await postgresTarget(databaseUrl, redisUrl)
    const config = testConfig(target, { loginRateLimit: 4 })
    a = await startApp(config)
    b = await startApp(config)
  }, 60_000)

  afterAll(async () => {
    await a?.close()
    await b?.close()
    await target?.cleanup()
  })

  it('should share the failed-login limit between the instances', async () => {
    await a.api.register('shared-limit@example.test')
    const attempt = (running: Running) =>
      running.api.request('POST', '/auth/login', {
        body: { email: 'shared-limit@example.test', password: 'wrong-pass' },
      })
    const statuses = [await attempt(a), await attempt(b), await attempt(a), await attempt(b)].map((r) => r.status)
    expect(statuses).toEqual([401, 401, 401, 401])
    const onA = await attempt(a)
    const onB = await attempt(b)
    expect([onA.status, code(onA)]).toEqual([429, 'RATE_LIMITED'])
    expect([onB.status, code(onB)]).toEqual([429, 'RATE_LIMITED'])
  })

  it('should detect a refresh token rotated on A and replayed on B', async () => {
    await a.api.register('rotation@example.test')
    const pair = await a.api.login('rotation@example.test')
    const rotated = await a.api.request<{ refreshToken: string }>('POST', '/auth/refresh', {
      body: { refreshToken: pair.refreshToken },
    })
    expect(rotated.status).toBe(200)
    const replay = await b.api.request('POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } })
    expect([replay.status, code(replay)]).toEqual([401, 'REFRESH_TOKEN_REUSED'])
    // The family is revoked everywhere: the legitimate new token is dead too.
    const next = await a.api.request('POST', '/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } })
    expect(next.status).toBe(401)
  })

  it('should refuse on B, from the next request on, the access token of a session logged out on A', async () => {
    await a.api.register('logout-everywhere@example.test')
    const pair = await b.api.login('logout-everywhere@example.test')
    expect((await b.api.request('GET', '/users/me', { token: pair.accessToken })).status).toBe(200)
    expect((await a.api.request('POST', '/auth/logout', { token: pair.accessToken, body: {} })).status).toBe(204)
    const after = await b.api.request('GET', '/users/me', { token: pair.accessToken })
    expect([after.status, code(after)]).toEqual([401, 'TOKEN_REVOKED'])
  })

  it('should list on B the sessions started on A, and refuse on B a session signed out on A', async () => {
    await a.api.register('two-devices@example.test')
    const laptop = await a.api.login('two-devices@example.test')
    const phone = await a.api.login('two-devices@example.test')
    const listed = await b.api.request<{ sessions: Array<{ id: string }> }>('GET', '/auth/sessions', {
      token: laptop.accessToken,
    })
    expect(listed.body.sessions.map((session) => session.id).sort()).toEqual([laptop.sessionId, phone.sessionId].sort())
    const ended = await a.api.request('DELETE', `/auth/sessions/${phone.sessionId}`, { token: laptop.accessToken })
    expect(ended.status).toBe(204)
    const after = await b.api.request('GET', '/users/me', { token: phone.accessToken })
    expect([after.status, code(after)]).toEqual([401, 'TOKEN_REVOKED'])
    expect((await b.api.request('GET', '/users/me', { token: laptop.accessToken })).status).toBe(200)
  })

  it('should refuse on B a user deleted on A', async () => {
    const user = await a.api.register('deleted@example.test')
    const pair = await b.api.login('deleted@example.test')
    expect((await b.api.request('GET', '/users/me', { token: pair.accessToken })).status).toBe(200)
    const admin = await a.api.login(ADMIN.email, ADMIN.password)
    expect((await a.api.request('DELETE', `/users/${user.id}`, { token: admin.accessToken })).status).toBe(204)
    expect((await b.api.request('GET', '/users/me', { token: pair.accessToken })).status).toBe(401)
    expect((await b.api.request('POST', '/auth/refresh', { body: { refreshToken: pair.refreshToken } })).status).toBe(
      401,
    )
    expect(
      (
        await b.api.request('POST', '/auth/login', {
          body: { email: 'deleted@example.test', password: 'password-123' },
        })
      ).status,
    ).toBe(401)
  })

  it('should see on B the password changed on A', async () => {
    await a.api.register('changer@example.test')
    const onB = await b.api.login('changer@example.test')
    const onA = await a.api.login('changer@example.test')
    const changed = await a.api.request('PUT', '/users/me/password', {
      token: onA.accessToken,
      body: { currentPassword: 'password-123', newPassword: 'another-password' },
    })
    expect(changed.status).toBe(204)
    expect((await b.api.request('POST', '/auth/refresh', { body: { refreshToken: onB.refreshToken } })).status).toBe(
      401,
    )
    await b.api.login('changer@example.test', 'another-password')
  })
}
