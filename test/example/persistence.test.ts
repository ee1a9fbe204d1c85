import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteTarget, startApp, type Target, testConfig } from './harness.js'

describe('example persistence (embedded PGlite)', () => {
  let target: Target
  beforeAll(async () => {
    target = await pgliteTarget()
  })
  afterAll(async () => {
    await target?.cleanup()
  })

  it('should keep users across a restart on the same data dir', async () => {
    const config = testConfig(target)
    const first = await startApp(config)
    let userId: string
    try {
      userId = (await first.api.register('persistent@example.test', 'Persistent')).id
    } finally {
      await first.close()
    }

    // Same data dir, migrations already recorded: the second start applies nothing and finds the user.
    const second = await startApp(config)
    try {
      const { accessToken } = await second.api.login('persistent@example.test')
      const me = await second.api.request<{ user: { id: string } }>('GET', '/users/me', { token: accessToken })
      expect(me.status).toBe(200)
      expect(me.body.user.id).toBe(userId)
    } finally {
      await second.close()
    }
  }, 60_000)
})
