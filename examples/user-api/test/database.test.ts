// The example's db layer: driver errors never carry values out (PGlite's `params` and SQL text,
// node-postgres' `detail`), they keep their SQLSTATE, and a data exception (SQLSTATE class 22) is a 400.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isHttpError } from 'fastify-keel/errors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, DatabaseError, openDatabase, toSafeError } from '../src/db/database.js'
import { describeWithDatabase } from './helpers/services.js'

const SECRET = '$scrypt$ln=17,r=8,p=1$c2VjcmV0LXNhbHQ$c2VjcmV0LWhhc2gtdmFsdWU'

/** Every own property of an error, enumerable or not, plus its stack, as text. */
function everything(error: unknown): string {
  const record = error as Record<string, unknown>
  return JSON.stringify(Object.fromEntries(Object.getOwnPropertyNames(record).map((key) => [key, String(record[key])])))
}

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
  } catch (error) {
    return error
  }
  throw new Error('expected the statement to fail')
}

function defineDatabaseTests(open: () => Promise<Database>, cleanup: () => Promise<void>): void {
  let db: Database

  beforeAll(async () => {
    db = await open()
    await db.exec('CREATE TABLE IF NOT EXISTS secrets (email text PRIMARY KEY, hash text NOT NULL)')
    await db.query('INSERT INTO secrets (email, hash) VALUES ($1, $2)', ['taken@example.test', SECRET])
  }, 60_000)

  afterAll(async () => {
    await db?.exec('DROP TABLE IF EXISTS secrets')
    await db?.close()
    await cleanup()
  })

  it('should answer a NUL character in a parameter with a 400 INVALID_VALUE', async () => {
    const error = await failure(() => db.query('SELECT $1::text AS value', ['a\u0000b']))
    expect(isHttpError(error)).toBe(true)
    expect(error).toMatchObject({ statusCode: 400, code: 'INVALID_VALUE' })
  })

  it('should answer a value of the wrong type (class 22) with a 400 without echoing it', async () => {
    const error = await failure(() => db.query('SELECT $1::int AS value', [SECRET]))
    expect(error).toMatchObject({ statusCode: 400, code: 'INVALID_VALUE' })
    expect(everything(error)).not.toContain('scrypt')
  })

  it('should keep the SQLSTATE of a unique violation but drop the values', async () => {
    const error = await failure(() =>
      db.query('INSERT INTO secrets (email, hash) VALUES ($1, $2)', ['taken@example.test', SECRET]),
    )
    expect(error).toBeInstanceOf(DatabaseError)
    expect(error).toMatchObject({ code: '23505', table: 'secrets', constraint: 'secrets_pkey' })
    const text = everything(error)
    expect(text).not.toContain('scrypt')
    expect(text).not.toContain('taken@example.test')
    expect(text).not.toContain('INSERT INTO')
    expect(error).not.toHaveProperty('params')
    expect(error).not.toHaveProperty('detail')
  })

  it('should drop the values of a failing statement inside a transaction', async () => {
    const error = await failure(() =>
      db.transaction((tx) =>
        tx.query('INSERT INTO secrets (email, hash) VALUES ($1, $2)', ['taken@example.test', SECRET]),
      ),
    )
    expect(error).toMatchObject({ code: '23505' })
    expect(everything(error)).not.toContain('scrypt')
  })

  it('should let the errors of the work in a transaction through unchanged', async () => {
    const mine = new Error('mine')
    expect(await failure(() => db.transaction(async () => Promise.reject(mine)))).toBe(mine)
  })
}

describe('example database outages', () => {
  const server = (code: string) => Object.assign(new Error('server says no'), { code, severity: 'FATAL' })
  it.each([
    ['08006 connection failure', server('08006')],
    ['53300 too many connections', server('53300')],
    ['57P01 admin shutdown', server('57P01')],
    ['57P03 cannot connect now', server('57P03')],
    ['55000 not accepting connections', server('55000')],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['an AggregateError of refusals', new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('should make %s a 503 DATABASE_UNAVAILABLE with Retry-After', (_, error) => {
    expect(toSafeError(error)).toMatchObject({
      statusCode: 503,
      code: 'DATABASE_UNAVAILABLE',
      headers: { 'retry-after': '5' },
    })
  })

  it.each([
    ['23505', server('23505')],
    ['42P01', server('42P01')],
    ['57014 query canceled', server('57014')],
  ])('should keep %s a DatabaseError (a 500)', (_, error) => {
    expect(toSafeError(error)).toBeInstanceOf(DatabaseError)
  })
})

describe('example database (embedded PGlite)', () => {
  let dir: string
  defineDatabaseTests(
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'keel-example-db-'))
      return openDatabase({ dataDir: dir })
    },
    () => rm(dir, { recursive: true, force: true }),
  )
})

describeWithDatabase('example database (PostgreSQL)', (databaseUrl) => {
  const schema = `keel_example_db_${process.pid}_${Date.now()}`
  let admin: Database
  defineDatabaseTests(
    async () => {
      admin = await openDatabase({ url: databaseUrl })
      await admin.exec(`CREATE SCHEMA ${schema}`)
      const url = new URL(databaseUrl)
      url.searchParams.set('options', `-c search_path=${schema}`)
      return openDatabase({ url: url.toString() })
    },
    async () => {
      await admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.close()
    },
  )
})
