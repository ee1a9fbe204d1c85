// A TokenStore in PostgreSQL (node-postgres `Pool`/`Client`, PGlite: anything with `query(text, params)`). Every
// method is one parameterized statement, so it needs no transaction of its own and works on a pool: `rotate`
// locks the token's row and its family's row (`for update`) and decides in the same statement, so concurrent
// rotations of one token on any number of instances queue on that lock and exactly one sees it unused. Times are
// ms since the epoch in `double precision` columns (fractional ms kept). Expired rows are deleted a few at a time
// by the writes themselves (`sweepEvery`), so the tables stay bounded without a scheduler.
import { optionsReader } from '../internal/options.js'
import { NotBeforeCache } from './not-before-cache.js'
import type { RefreshTokenRecord, RotateResult, TokenStore } from './token-store.js'

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
  /** Prefix of the three table names (`<prefix>tokens`, `<prefix>families`, `<prefix>subjects`). @default 'keel_auth_' */
  tablePrefix?: string
  /**
   * How long (ms or a string) `authenticate` may answer a subject's not-before time from a local cache instead of
   * a query; see `RedisTokenStore`. `0` queries on every authenticated request.
   * @default 0
   */
  notBeforeCacheTtl?: number | string
  /**
   * Every this many writes (`save`, `revokeSubject`), the write first deletes up to 500 expired rows per table.
   * `0` never does: then call `store.deleteExpired()` on a schedule yourself.
   * @default 100
   */
  sweepEvery?: number
}

const read = optionsReader('auth', 'KEEL_ERR_AUTH_INVALID_STORE')
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,49}$/
const KNOWN = ['schema', 'tablePrefix', 'notBeforeCacheTtl', 'sweepEvery']
const SWEEP_LIMIT = 500

interface Tables {
  readonly tokens: string
  readonly families: string
  readonly subjects: string
  readonly prefix: string
}

function tables(options: SqlTokenStoreOptions, where: string): Tables {
  const o = read.object(where, options, KNOWN)
  const fix = 'use lowercase letters, digits and _ (starting with a letter or _), at most 50 characters'
  const schema = read.optionalString(`${where}.schema`, o.schema, { pattern: IDENTIFIER, fix })
  const prefix = read.string(`${where}.tablePrefix`, o.tablePrefix, 'keel_auth_', { pattern: IDENTIFIER, fix })
  const name = (table: string) => (schema === undefined ? `"${prefix}${table}"` : `"${schema}"."${prefix}${table}"`)
  return { tokens: name('tokens'), families: name('families'), subjects: name('subjects'), prefix }
}

function migrationStatements(t: Tables): string[] {
  return [
    `create table if not exists ${t.families} (
  id text primary key check (char_length(id) <= 128),
  revoked boolean not null default false,
  expires_at double precision not null
)`,
    `create index if not exists "${t.prefix}families_expires_at" on ${t.families} (expires_at)`,
    `create table if not exists ${t.tokens} (
  hash text primary key check (char_length(hash) <= 128),
  family text not null references ${t.families} (id) on delete cascade,
  sub text not null check (char_length(sub) <= 1024),
  claims jsonb not null check (octet_length(claims::text) <= 8192),
  family_issued_at double precision not null,
  expires_at double precision not null,
  used boolean not null default false
)`,
    `create index if not exists "${t.prefix}tokens_expires_at" on ${t.tokens} (expires_at)`,
    `create index if not exists "${t.prefix}tokens_family" on ${t.tokens} (family)`,
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

interface RotateRow {
  status: 'rotated' | 'reused' | 'revoked' | 'expired'
  family: string
  sub: string
  claims: Record<string, unknown>
  family_issued_at: number
  expires_at: number
  revoked_family: boolean
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
  readonly #notBefore: NotBeforeCache
  readonly #sweepEvery: number
  readonly #sql: Readonly<Record<'save' | 'rotate' | 'revokeFamily' | 'revokeSubject' | 'getNotBefore', string>>
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
    this.#notBefore = new NotBeforeCache(
      read.duration('SqlTokenStore.notBeforeCacheTtl', options.notBeforeCacheTtl, 0, { min: 0 }),
    )
    this.#sweepEvery = read.integer('SqlTokenStore.sweepEvery', options.sweepEvery, 100, { min: 0 })
    this.#sql = {
      save: `with family as (
  insert into ${t.families} as fam (id, expires_at) values ($2::text, $6::double precision)
  on conflict (id) do update set expires_at = greatest(fam.expires_at, excluded.expires_at)
)
insert into ${t.tokens} (hash, family, sub, claims, family_issued_at, expires_at)
values ($1::text, $2::text, $3::text, $4::jsonb, $5::double precision, $6::double precision)`,
      // The order of the checks is the contract's: used → revoked → expired → rotate.
      rotate: `with token as (
  select t.family, t.sub, t.claims, t.family_issued_at, t.expires_at, t.used, f.revoked, n.not_before
  from ${t.tokens} t
  join ${t.families} f on f.id = t.family
  left join ${t.subjects} n on n.sub = t.sub and n.expires_at > $3::double precision
  where t.hash = $1::text
  for update of t, f
), decision as (
  select token.*, case
    when used then 'reused'
    when revoked or family_issued_at < coalesce(not_before, '-infinity'::double precision) then 'revoked'
    when expires_at <= $3::double precision then 'expired'
    else 'rotated'
  end as status
  from token
), mark_used as (
  update ${t.tokens} set used = true
  where hash = $1::text and exists (select 1 from decision where status = 'rotated')
), next_token as (
  insert into ${t.tokens} (hash, family, sub, claims, family_issued_at, expires_at)
  select $2::text, family, sub, claims, family_issued_at, $4::double precision from decision where status = 'rotated'
), extended as (
  update ${t.families} as fam set expires_at = greatest(fam.expires_at, $4::double precision)
  where fam.id = (select family from decision where status = 'rotated')
), revoked as (
  update ${t.families} as fam set revoked = true
  where fam.id = (select family from decision where status = 'reused') and not fam.revoked
  returning fam.id
)
select status, family, sub, claims, family_issued_at, expires_at, exists (select 1 from revoked) as revoked_family
from decision`,
      revokeFamily: `update ${t.families} as fam set revoked = true
where fam.id = (select t.family from ${t.tokens} t where t.hash = $1::text and ($2::text is null or t.sub = $2::text))
returning fam.id`,
      revokeSubject: `insert into ${t.subjects} as s (sub, not_before, expires_at)
values ($1::text, $2::double precision, $3::double precision)
on conflict (sub) do update set not_before = greatest(s.not_before, excluded.not_before),
  expires_at = greatest(s.expires_at, excluded.expires_at)`,
      getNotBefore: `select not_before from ${t.subjects} where sub = $1::text and expires_at > $2::double precision`,
    }
  }

  /** Creates the tables when they do not exist yet (the statements of {@link sqlTokenStoreMigration}). */
  async migrate(): Promise<void> {
    for (const statement of migrationStatements(this.#tables)) await this.#db.query(statement)
  }

  /** Deletes up to `limit` expired rows per table; resolves how many went. Writes call it every `sweepEvery`. */
  async deleteExpired(limit = SWEEP_LIMIT): Promise<number> {
    const { tokens, families, subjects } = this.#tables
    const now = Date.now()
    let deleted = 0
    for (const [table, key] of [
      [tokens, 'hash'],
      [families, 'id'],
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
      record.familyIssuedAt,
      record.expiresAt,
    ])
  }

  async rotate(hash: string, nextHash: string, now: number, nextExpiresAt: number): Promise<RotateResult> {
    const { rows } = await this.#db.query(this.#sql.rotate, [hash, nextHash, now, nextExpiresAt])
    const row = rows[0] as RotateRow | undefined
    if (row === undefined) return { status: 'unknown' }
    if (row.status === 'reused') {
      return { status: 'reused', family: row.family, sub: row.sub, revokedFamily: row.revoked_family }
    }
    if (row.status !== 'rotated') return { status: row.status }
    return {
      status: 'rotated',
      record: {
        family: row.family,
        sub: row.sub,
        claims: row.claims,
        familyIssuedAt: Number(row.family_issued_at),
        expiresAt: Number(row.expires_at),
      },
    }
  }

  async revokeFamily(hash: string, sub?: string): Promise<boolean> {
    const { rows } = await this.#db.query(this.#sql.revokeFamily, [hash, sub ?? null])
    return rows.length > 0
  }

  async revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    await this.#sweepSometimes()
    await this.#db.query(this.#sql.revokeSubject, [sub, notBefore, Date.now() + ttlMs])
    this.#notBefore.remember(sub, notBefore, Date.now())
  }

  getNotBefore(sub: string): number | undefined | Promise<number | undefined> {
    const cached = this.#notBefore.get(sub, Date.now())
    return cached === null ? this.#fetchNotBefore(sub) : cached
  }

  async ping(): Promise<void> {
    await this.#db.query('select 1')
  }

  async #fetchNotBefore(sub: string): Promise<number | undefined> {
    const fetchedAt = Date.now()
    const { rows } = await this.#db.query(this.#sql.getNotBefore, [sub, fetchedAt])
    const row = rows[0] as { not_before: number } | undefined
    const value = row === undefined ? undefined : Number(row.not_before)
    this.#notBefore.remember(sub, value, fetchedAt)
    return value
  }

  async #sweepSometimes(): Promise<void> {
    if (this.#sweepEvery === 0 || ++this.#writes % this.#sweepEvery !== 0) return
    await this.deleteExpired()
  }
}
