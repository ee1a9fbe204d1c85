// A TokenStore in PostgreSQL (node-postgres `Pool`/`Client`, PGlite: anything with `query(text, params)`). Every
// method is one parameterized statement, so it needs no transaction of its own and works on a pool: `rotate`
// locks the token's row and its session's row (`for update`) and decides in the same statement, so concurrent
// rotations of one token on any number of instances queue on that lock: exactly one sees it unused, and with a
// grace window the others see the successor it sealed. Times are ms since the epoch in `double precision`
// columns (fractional ms kept). Expired rows are deleted a few at a time by the writes themselves
// (`sweepEvery`), so the tables stay bounded without a scheduler.
import { optionsReader } from '../internal/options.js'
import { RevocationCache } from './revocation-cache.js'
import { sqlStatements } from './sql-statements.js'
import type {
  KeelSession,
  KeelSessionMetadata,
  RefreshTokenRecord,
  RotateRequest,
  RotateResult,
  TokenStore,
} from './token-store.js'

/**
 * The part of a PostgreSQL client {@link SqlTokenStore} uses. A `pg` `Pool` or `Client` and a PGlite instance
 * fit as they are.
 */
export interface SqlQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}

/** Options of {@link SqlTokenStore} and {@link sqlTokenStoreMigration}. */
export interface SqlTokenStoreOptions {
  /** Schema of the tables; unset, they are found through the `search_path`. @default undefined */
  schema?: string
  /**
   * Prefix of the three table names (`<prefix>sessions`, `<prefix>refresh_tokens`, `<prefix>subjects`).
   * @default 'keel_auth_'
   */
  tablePrefix?: string
  /**
   * How long (ms or a string) `authenticate` may answer its revocation check (not-before time, session state)
   * from a local cache instead of a query; see `RedisTokenStore`. `0` queries on every authenticated request.
   * @default 0
   */
  revocationCacheTtl?: number | string
  /**
   * Every this many writes (`save`, `revokeSubject`), the write first deletes up to 500 expired rows per table.
   * `0` never does: then call `store.deleteExpired()` on a schedule yourself.
   * @default 100
   */
  sweepEvery?: number
}

const read = optionsReader('auth', 'KEEL_ERR_AUTH_INVALID_STORE')
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,49}$/
const KNOWN = ['schema', 'tablePrefix', 'revocationCacheTtl', 'sweepEvery']
const SWEEP_LIMIT = 500

/** The quoted names of the store's tables. */
export interface Tables {
  readonly sessions: string
  readonly tokens: string
  readonly subjects: string
  readonly prefix: string
}

function tables(options: SqlTokenStoreOptions, where: string): Tables {
  const o = read.object(where, options, KNOWN)
  const fix = 'use lowercase letters, digits and _ (starting with a letter or _), at most 50 characters'
  const schema = read.optionalString(`${where}.schema`, o.schema, { pattern: IDENTIFIER, fix })
  const prefix = read.string(`${where}.tablePrefix`, o.tablePrefix, 'keel_auth_', { pattern: IDENTIFIER, fix })
  const name = (table: string) => (schema === undefined ? `"${prefix}${table}"` : `"${schema}"."${prefix}${table}"`)
  return { sessions: name('sessions'), tokens: name('refresh_tokens'), subjects: name('subjects'), prefix }
}

function migrationStatements(t: Tables): string[] {
  return [
    `create table if not exists ${t.sessions} (
  id text primary key check (char_length(id) <= 128),
  sub text not null check (char_length(sub) <= 1024),
  claims jsonb not null check (octet_length(claims::text) <= 8192),
  metadata jsonb not null check (octet_length(metadata::text) <= 2048),
  created_at double precision not null,
  last_used_at double precision not null,
  session_expires_at double precision not null,
  expires_at double precision not null,
  revoked boolean not null default false
)`,
    `create index if not exists "${t.prefix}sessions_sub" on ${t.sessions} (sub)`,
    `create index if not exists "${t.prefix}sessions_expires_at" on ${t.sessions} (expires_at)`,
    `create table if not exists ${t.tokens} (
  hash text primary key check (char_length(hash) <= 128),
  session_id text not null references ${t.sessions} (id) on delete cascade,
  expires_at double precision not null,
  used boolean not null default false,
  grace_until double precision,
  sealed_next text check (char_length(sealed_next) <= 256),
  next_expires_at double precision
)`,
    `create index if not exists "${t.prefix}refresh_tokens_expires_at" on ${t.tokens} (expires_at)`,
    `create index if not exists "${t.prefix}refresh_tokens_session_id" on ${t.tokens} (session_id)`,
    `create table if not exists ${t.subjects} (
  sub text primary key check (char_length(sub) <= 1024),
  not_before double precision not null,
  expires_at double precision not null
)`,
    `create index if not exists "${t.prefix}subjects_expires_at" on ${t.subjects} (expires_at)`,
  ]
}

/**
 * The SQL that creates {@link SqlTokenStore}'s tables (idempotent: `create … if not exists`), for your migration
 * tool; `store.migrate()` runs the same statements.
 * @example writeFileSync('migrations/003_keel_auth.sql', sqlTokenStoreMigration())
 * @see docs/auth.md#sqltokenstore
 */
export function sqlTokenStoreMigration(options: SqlTokenStoreOptions = {}): string {
  return `${migrationStatements(tables(options, 'sqlTokenStoreMigration')).join(';\n\n')};\n`
}

interface RecordRow {
  status: 'rotated' | 'graced' | 'reused' | 'revoked' | 'expired'
  session_id: string
  sub: string
  claims: Record<string, unknown>
  metadata: KeelSessionMetadata
  created_at: number
  expires_at: number
  session_expires_at: number
  sealed_next: string | null
  next_expires_at: number | null
  revoked_family: boolean
}

interface SessionRow {
  id: string
  created_at: number
  last_used_at: number
  session_expires_at: number
  metadata: KeelSessionMetadata
}

/**
 * A {@link TokenStore} in PostgreSQL, durable across restarts of every instance. Create its tables with
 * `await store.migrate()` (or {@link sqlTokenStoreMigration} in your migration tool).
 *
 * @example
 * import pg from 'pg'
 * const store = new SqlTokenStore(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * await store.migrate()
 * await app.register(keelAuth, { secret, issuer, audience, store })
 * @see docs/auth.md#sqltokenstore
 */
export class SqlTokenStore implements TokenStore {
  readonly #db: SqlQueryable
  readonly #tables: Tables
  readonly #cache: RevocationCache
  readonly #sweepEvery: number
  readonly #sql: ReturnType<typeof sqlStatements>
  #writes = 0

  constructor(db: SqlQueryable, options: SqlTokenStoreOptions = {}) {
    if (typeof db !== 'object' || db === null || typeof db.query !== 'function') {
      throw read.misuse(
        'KEEL_ERR_AUTH_INVALID_STORE',
        'SqlTokenStore needs a client with query(text, params)',
        'pass a pg Pool or Client, or a PGlite instance',
      )
    }
    const t = tables(options, 'SqlTokenStore')
    this.#db = db
    this.#tables = t
    this.#cache = new RevocationCache(
      read.duration('SqlTokenStore.revocationCacheTtl', options.revocationCacheTtl, 0, { min: 0 }),
    )
    this.#sweepEvery = read.integer('SqlTokenStore.sweepEvery', options.sweepEvery, 100, { min: 0 })
    this.#sql = sqlStatements(t)
  }

  /** Creates the tables when they do not exist yet (the statements of {@link sqlTokenStoreMigration}). */
  async migrate(): Promise<void> {
    for (const statement of migrationStatements(this.#tables)) await this.#db.query(statement)
  }

  /** Deletes up to `limit` expired rows per table; resolves how many went. Writes call it every `sweepEvery`. */
  async deleteExpired(limit = SWEEP_LIMIT): Promise<number> {
    const { tokens, sessions, subjects } = this.#tables
    const now = Date.now()
    let deleted = 0
    for (const [table, key] of [
      [tokens, 'hash'],
      [sessions, 'id'],
      [subjects, 'sub'],
    ] as const) {
      const { rows } = await this.#db.query(
        `delete from ${table} where ${key} in (
  select ${key} from ${table} where expires_at <= $1::double precision limit $2::integer for update skip locked
) returning 1`,
        [now, limit],
      )
      deleted += rows.length
    }
    return deleted
  }

  async save(hash: string, record: RefreshTokenRecord): Promise<void> {
    await this.#sweepSometimes()
    await this.#db.query(this.#sql.save, [
      hash,
      record.family,
      record.sub,
      JSON.stringify(record.claims),
      JSON.stringify(record.metadata),
      record.familyIssuedAt,
      Math.min(record.expiresAt, record.sessionExpiresAt),
      record.sessionExpiresAt,
    ])
  }

  async rotate(request: RotateRequest): Promise<RotateResult> {
    const { hash, nextHash, now, nextExpiresAt, grace } = request
    const { rows } = await this.#db.query(this.#sql.rotate, [
      hash,
      nextHash,
      now,
      nextExpiresAt,
      grace?.sealedNext ?? null,
      grace?.until ?? null,
    ])
    const row = rows[0] as RecordRow | undefined
    if (row === undefined) return { status: 'unknown' }
    switch (row.status) {
      case 'rotated':
        return { status: 'rotated', record: recordOf(row) }
      case 'graced':
        return {
          status: 'graced',
          record: recordOf(row),
          sealedNext: String(row.sealed_next),
          nextExpiresAt: Number(row.next_expires_at),
        }
      case 'reused':
        this.#cache.rememberSession(row.session_id, false, Date.now())
        return { status: 'reused', family: row.session_id, sub: row.sub, revokedFamily: row.revoked_family }
      default:
        return { status: row.status }
    }
  }

  async revokeFamily(hash: string, sub?: string): Promise<boolean> {
    const { rows } = await this.#db.query(this.#sql.revokeFamily, [hash, sub ?? null])
    const row = rows[0] as { id: string } | undefined
    if (row !== undefined) this.#cache.rememberSession(row.id, false, Date.now())
    return row !== undefined
  }

  async revokeSession(sub: string, sid: string, now: number): Promise<boolean> {
    const { rows } = await this.#db.query(this.#sql.revokeSession, [sub, sid, now])
    if (rows.length > 0) this.#cache.rememberSession(sid, false, Date.now())
    return rows.length > 0
  }

  async listSessions(sub: string, now: number, limit: number): Promise<KeelSession[]> {
    const { rows } = await this.#db.query(this.#sql.listSessions, [sub, now, limit])
    return (rows as SessionRow[]).map((row) => ({
      id: row.id,
      createdAt: Number(row.created_at),
      lastUsedAt: Number(row.last_used_at),
      expiresAt: Number(row.session_expires_at),
      metadata: row.metadata,
    }))
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    await this.#sweepSometimes()
    await this.#db.query(this.#sql.revokeSubject, [sub, notBefore, Date.now() + ttlMs])
    this.#cache.rememberNotBefore(sub, notBefore, Date.now())
  }

  getNotBefore(sub: string): number | undefined | Promise<number | undefined> {
    const cached = this.#cache.notBefore(sub, Date.now())
    return cached === null ? this.#fetchNotBefore(sub) : cached
  }

  checkSession(sub: string, sid: string, issuedAt: number, now: number): boolean | Promise<boolean> {
    const notBefore = this.#cache.notBefore(sub, now)
    const live = this.#cache.session(sid, now)
    if (notBefore === null || live === null) return this.#fetchSession(sub, sid, issuedAt, now)
    return live && (notBefore === undefined || issuedAt >= notBefore)
  }

  async ping(): Promise<void> {
    await this.#db.query('select 1')
  }

  async #fetchNotBefore(sub: string): Promise<number | undefined> {
    const fetchedAt = Date.now()
    const { rows } = await this.#db.query(this.#sql.getNotBefore, [sub, fetchedAt])
    const row = rows[0] as { not_before: number } | undefined
    const value = row === undefined ? undefined : Number(row.not_before)
    this.#cache.rememberNotBefore(sub, value, fetchedAt)
    return value
  }

  async #fetchSession(sub: string, sid: string, issuedAt: number, now: number): Promise<boolean> {
    const fetchedAt = Date.now()
    const { rows } = await this.#db.query(this.#sql.checkSession, [sub, sid, now])
    const row = rows[0] as { not_before: number | null; sub: string | null; live: boolean } | undefined
    // A session of another subject is no answer about this token's session: not cached.
    if (row?.sub != null && row.sub !== sub) return false
    const live = row?.live === true
    const notBefore = row?.not_before == null ? undefined : Number(row.not_before)
    this.#cache.rememberNotBefore(sub, notBefore, fetchedAt)
    this.#cache.rememberSession(sid, live, fetchedAt)
    return live && (notBefore === undefined || issuedAt >= notBefore)
  }

  async #sweepSometimes(): Promise<void> {
    if (this.#sweepEvery === 0 || ++this.#writes % this.#sweepEvery !== 0) return
    await this.deleteExpired()
  }
}

function recordOf(row: RecordRow): RefreshTokenRecord {
  return {
    family: row.session_id,
    sub: row.sub,
    claims: row.claims,
    familyIssuedAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    sessionExpiresAt: Number(row.session_expires_at),
    metadata: row.metadata,
  }
}
