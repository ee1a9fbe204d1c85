// One small interface over the two PostgreSQL drivers the example supports: PGlite (embedded, the default)
// and node-postgres (when DATABASE_URL is set). Both speak the same SQL dialect, so everything above this
// file is written once. Queries are always parameterized ($1, $2, …); never build SQL from user input.
import { mkdirSync } from 'node:fs'
import { appError } from '../codes.js'

/** Anything that runs a parameterized query: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one parameterized statement and returns its rows. */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>
}

/** An open transaction. */
export interface Transaction extends Queryable {
  /** Runs a script of several statements without parameters (migrations only). */
  exec(sql: string): Promise<void>
}

/** The example's database handle. */
export interface Database extends Queryable {
  /** `'pglite'` (embedded) or `'postgres'` (node-postgres pool). */
  readonly kind: 'pglite' | 'postgres'
  /** Runs a script of several statements without parameters (migrations only). */
  exec(sql: string): Promise<void>
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>
  /** Closes the connection(s). */
  close(): Promise<void>
}

/** Where the data lives: a node-postgres connection string, or a directory for the embedded database. */
export type DatabaseTarget = { url: string } | { dataDir: string }

/** Opens the database named by `target`. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return 'url' in target ? openPostgres(target.url) : openPglite(target.dataDir)
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite')
  mkdirSync(dataDir, { recursive: true })
  const db = await PGlite.create(dataDir)
  return {
    kind: 'pglite',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await db.query<Row>(sql, [...params]).catch(rethrowSafely)
      return result.rows
    },
    async exec(sql) {
      await db.exec(sql).catch(rethrowSafely)
    },
    transaction(work) {
      return db
        .transaction((tx) =>
          work({
            async query<Row>(sql: string, params: readonly unknown[] = []) {
              return (await tx.query<Row>(sql, [...params]).catch(rethrowSafely)).rows
            },
            async exec(sql) {
              await tx.exec(sql).catch(rethrowSafely)
            },
          }),
        )
        .catch(rethrowSafely)
    },
    async close() {
      if (!db.closed) await db.close()
    },
  }
}

async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash
  // the process. The next query reconnects, and readiness reports the outage meanwhile.
  pool.on('error', () => {})
  return {
    kind: 'postgres',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pool.query(sql, [...params]).catch(rethrowSafely)
      return result.rows as Row[]
    },
    async exec(sql) {
      await pool.query(sql).catch(rethrowSafely)
    },
    async transaction(work) {
      const client = await pool.connect().catch(rethrowSafely)
      try {
        await client.query('BEGIN')
        const result = await work({
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            return (await client.query(sql, [...params]).catch(rethrowSafely)).rows as Row[]
          },
          async exec(sql) {
            await client.query(sql).catch(rethrowSafely)
          },
        })
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        rethrowSafely(error)
      } finally {
        client.release()
      }
    },
    async close() {
      await pool.end()
    },
  }
}

/**
 * A database error stripped of everything that can carry a value: what is left is safe to log. PGlite's
 * errors carry the statement's `params` (a password hash, for an INSERT into users) and its SQL text;
 * node-postgres errors carry `detail` (`Key (email)=(ada@example.com) already exists`), `where` and `hint`.
 * The errors plugin logs a 5xx error whole, so none of that may reach it.
 */
export class DatabaseError extends Error {
  /** The SQLSTATE, e.g. `23505` (unique violation); callers branch on it. */
  readonly code: string
  /** Names only, never values: the constraint, table and column PostgreSQL reports, when it does. */
  readonly constraint: string | undefined
  readonly table: string | undefined
  readonly column: string | undefined

  constructor(code: string, message: string, names: { constraint?: unknown; table?: unknown; column?: unknown }) {
    super(message)
    this.name = 'DatabaseError'
    this.code = code
    this.constraint = nameOrUndefined(names.constraint)
    this.table = nameOrUndefined(names.table)
    this.column = nameOrUndefined(names.column)
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/

function nameOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 128 ? value : undefined
}

/**
 * Rethrows a driver error safely. SQLSTATE class 22 (data exception: a NUL byte, a value out of range,
 * text that is not a number…) is bad input that slipped past the schemas: a 400 problem document, not a 500.
 * Any other server error becomes a {@link DatabaseError}. Errors that are not from the server (a dropped
 * connection, the app's own errors thrown inside a transaction) pass through unchanged.
 */
export function rethrowSafely(error: unknown): never {
  throw toSafeError(error)
}

/** The error {@link rethrowSafely} throws for `error`. */
export function toSafeError(error: unknown): unknown {
  if (error instanceof DatabaseError || typeof error !== 'object' || error === null) return error
  const { code, message, severity } = error as { code?: unknown; message?: unknown; severity?: unknown }
  // Server errors have a SQLSTATE and a severity; connection errors have neither (or a Node `E…` code).
  if (typeof code !== 'string' || !SQLSTATE.test(code) || typeof severity !== 'string') return error
  if (code.startsWith('22')) {
    return appError('INVALID_VALUE', 'A value in the request cannot be stored')
  }
  // PostgreSQL's messages name objects (tables, constraints, columns) rather than values, except for data
  // exceptions (`invalid input syntax for type uuid: "…"`), which never get here.
  const text = typeof message === 'string' ? message.slice(0, 200) : 'database error'
  return new DatabaseError(code, `${text} (SQLSTATE ${code})`, error as Record<string, unknown>)
}
