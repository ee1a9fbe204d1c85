// One small interface over the two PostgreSQL drivers the example supports: PGlite (embedded, the default)
// and node-postgres (when DATABASE_URL is set). Both speak the same SQL dialect, so everything above this
// file is written once. Queries are always parameterized ($1, $2, …); never build SQL from user input.
import { mkdirSync } from 'node:fs'
import type { SqlQueryable } from 'fastify-keel/auth'
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
  /** The driver itself (PGlite, or the node-postgres pool), for code that speaks `query(text, params)`. */
  readonly client: SqlQueryable
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
    client: db,
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
  // Bounded waits: while PostgreSQL is unreachable a request waits at most 2 s for a connection, then gets a
  // 503 DATABASE_UNAVAILABLE, instead of queueing for as long as the outage lasts.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 2000, query_timeout: 10_000 })
  // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash
  // the process. The next query reconnects, and readiness reports the outage meanwhile.
  pool.on('error', () => {})
  return {
    kind: 'postgres',
    client: pool,
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
 * SQLSTATEs that mean "the database cannot be reached or will not serve now", not "this query is wrong":
 * class 08 (connection exception), class 53 (insufficient resources: too many connections, out of memory or
 * disk), 57P01-57P03 (the server is shutting down, crashed, or cannot connect now) and 55000 (the database is
 * not accepting connections: `ALTER DATABASE … ALLOW_CONNECTIONS false`).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[123]|55000)$/
/** Errors of the connection itself (node-postgres and Node's sockets), which carry no SQLSTATE. */
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Connection ended)/

/** Whether `error` says the database is unreachable or refusing work for now (a 503, not a 500). */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true
  if (error instanceof AggregateError) return error.errors.some(isUnavailable)
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)
}

/**
 * Rethrows a driver error safely. SQLSTATE class 22 (data exception: a NUL byte, a value out of range,
 * text that is not a number…) is bad input that slipped past the schemas: a 400 problem document, not a 500.
 * An outage (see {@link isUnavailable}) is a 503 `DATABASE_UNAVAILABLE` with `Retry-After`.
 * Any other server error becomes a {@link DatabaseError}. Other errors (the app's own, thrown inside a
 * transaction) pass through unchanged.
 */
export function rethrowSafely(error: unknown): never {
  throw toSafeError(error)
}

/** The error {@link rethrowSafely} throws for `error`. */
export function toSafeError(error: unknown): unknown {
  if (error instanceof DatabaseError || typeof error !== 'object' || error === null) return error
  if (isUnavailable(error)) return appError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly')
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
