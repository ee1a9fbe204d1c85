// One small interface over the two PostgreSQL drivers the example supports: PGlite (embedded, the default)
// and node-postgres (when DATABASE_URL is set). Both speak the same SQL dialect, so everything above this
// file is written once. Queries are always parameterized ($1, $2, …); never build SQL from user input.
import { mkdirSync } from 'node:fs'

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
      const result = await db.query<Row>(sql, [...params])
      return result.rows
    },
    async exec(sql) {
      await db.exec(sql)
    },
    transaction(work) {
      return db.transaction((tx) =>
        work({
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            return (await tx.query<Row>(sql, [...params])).rows
          },
          async exec(sql) {
            await tx.exec(sql)
          },
        }),
      )
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
      const result = await pool.query(sql, [...params])
      return result.rows as Row[]
    },
    async exec(sql) {
      await pool.query(sql)
    },
    async transaction(work) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await work({
          async query<Row>(sql: string, params: readonly unknown[] = []) {
            return (await client.query(sql, [...params])).rows as Row[]
          },
          async exec(sql) {
            await client.query(sql)
          },
        })
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async close() {
      await pool.end()
    },
  }
}
