// A database failure while a password hash is being written is logged (a 500 logs the error whole), but the
// log never holds the hash or the password: PGlite errors carry the statement's parameters, and the db
// layer must strip them. The failure is real: a trigger on the users table raises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { type Database, openDatabase } from '../src/db/database.js'
import { Client, pgliteTarget, type Target, testConfig } from './harness.js'

const FIRST_PASSWORD = 'first-password-4711'
const NEW_PASSWORD = 'second-password-0815'
const NEWCOMER_PASSWORD = 'newcomer-password-42'

describe('example logs (embedded PGlite)', () => {
  let target: Target
  let db: Database
  let close: () => Promise<void>
  let api: Client
  const lines: string[] = []

  beforeAll(async () => {
    target = await pgliteTarget()
    db = await openDatabase({ dataDir: target.storage.dataDir })
    const app = await buildApp(testConfig(target), {
      database: db,
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    })
    close = () => app.close()
    api = new Client(await app.listen({ port: 0, host: '127.0.0.1' }))
  }, 60_000)

  afterAll(async () => {
    await close?.()
    await target?.cleanup()
  })

  it('should log a failed password write without the hash or the password', async () => {
    await api.register('victim@example.test', 'Victim', FIRST_PASSWORD)
    const { accessToken } = await api.login('victim@example.test', FIRST_PASSWORD)
    await db.exec(`
      CREATE FUNCTION keel_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'forced failure'; END $$;
      CREATE TRIGGER keel_test_fail BEFORE INSERT OR UPDATE OF password_hash ON users
        FOR EACH ROW EXECUTE FUNCTION keel_test_fail();
    `)

    const register = await api.request('POST', '/auth/register', {
      body: { email: 'newcomer@example.test', password: NEWCOMER_PASSWORD, name: 'Newcomer' },
    })
    expect(register.status).toBe(500)
    const change = await api.request('PUT', '/users/me/password', {
      token: accessToken,
      body: { currentPassword: FIRST_PASSWORD, newPassword: NEW_PASSWORD },
    })
    expect(change.status).toBe(500)

    const errors = lines.map((line) => JSON.parse(line) as { level: number; err?: { code?: string } })
    const failed = errors.filter((entry) => entry.level === 50)
    expect(failed).toHaveLength(2)
    // Still useful: the SQLSTATE of the failure (P0001: raised by a function) is logged.
    expect(failed.map((entry) => entry.err?.code)).toEqual(['P0001', 'P0001'])
    const log = lines.join('')
    expect(log).toContain('forced failure')
    for (const secret of ['$scrypt$', 'scrypt', FIRST_PASSWORD, NEW_PASSWORD, NEWCOMER_PASSWORD, '"params"']) {
      expect(log).not.toContain(secret)
    }
  })
})
