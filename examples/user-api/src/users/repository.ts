// The users table. Password hashes stay inside this file: every method returns the public `User` shape,
// and credentials are checked here rather than handed out.
import { randomUUID } from 'node:crypto'
import type { Database, Queryable } from '../db/database.js'

/** A user's role. */
export type Role = 'user' | 'admin'

/** The public shape of a user: what the API returns. It never carries the password hash. */
export interface User {
  id: string
  email: string
  name: string
  role: Role
  createdAt: string
  updatedAt: string
}

/** How passwords are hashed; the app wires it to `fastify-keel/auth`'s scrypt helpers. */
export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
  needsRehash(hash: string): boolean
}

/** A sortable column, by its API name. */
export type UserSortField = 'createdAt' | 'email' | 'name'

/** One sort key. */
export interface UserSort {
  field: UserSortField
  direction: 'asc' | 'desc'
}

/** A page request for {@link UsersRepository.list}. */
export interface UserListQuery {
  /** Rows to return (the caller asks for one more than it shows, to know whether there is a next page). */
  limit: number
  /** Sort keys; `id` is always appended as the final tie-break. */
  sort: readonly UserSort[]
  /** Case-insensitive substring of the email or name. */
  q?: string | undefined
  /** Keyset position: the sort values and id of the last row of the previous page. */
  after?: { values: readonly string[]; id: string } | undefined
}

/** Thrown by {@link UsersRepository} when a rule of the data is broken; routes map it to an HTTP error. */
export class UserConflictError extends Error {
  constructor(readonly reason: 'EMAIL_TAKEN' | 'LAST_ADMIN') {
    super(reason)
    this.name = 'UserConflictError'
  }
}

interface UserRow {
  id: string
  email: string
  name: string
  role: Role
  created_at: Date | string
  updated_at: Date | string
}

const USER_COLUMNS = 'id, email, name, role, created_at, updated_at'
const NOW = "date_trunc('milliseconds', clock_timestamp())"
const SORT_COLUMNS: Readonly<Record<UserSortField, string>> = {
  createdAt: 'created_at',
  email: 'email',
  name: 'name',
}
const UNIQUE_VIOLATION = '23505'
// Ids come from validated params or from token subjects; anything else cannot name a row, and must not
// reach a uuid column (PostgreSQL would reject the query with an error).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  }
}

/** The form of a name that search compares: lowercased by JavaScript, for every script (see migration 002). */
export function foldName(name: string): string {
  return name.toLowerCase()
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION
}

/** Trims and lowercases an email, the one form stored and compared. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The value a user's sort field holds, as the string a keyset cursor carries. */
export function sortValue(user: User, field: UserSortField): string {
  return user[field]
}

export class UsersRepository {
  /** A hash of a random password, verified when a login names an unknown email so both paths cost the same. */
  #dummyHash: string | undefined

  constructor(
    private readonly db: Database,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Startup work, awaited before the app listens: hashes the dummy password now, so the first login with an
   * unknown email does not pay for a hash on top of the verify (a one-time timing oracle), and fills in the
   * search form of names written before migration 002.
   */
  async prepare(): Promise<void> {
    this.#dummyHash ??= await this.hasher.hash(randomUUID())
    const stale = await this.db.query<{ id: string; name: string }>(
      'SELECT id, name FROM users WHERE name_lower IS NULL',
    )
    for (const { id, name } of stale) {
      await this.db.query('UPDATE users SET name_lower = $2 WHERE id = $1 AND name = $3', [id, foldName(name), name])
    }
  }

  /** Creates a user; throws `UserConflictError('EMAIL_TAKEN')` when the email is registered already. */
  async create(input: { email: string; name: string; password: string; role?: Role }): Promise<User> {
    const passwordHash = await this.hasher.hash(input.password)
    try {
      const rows = await this.db.query<UserRow>(
        // now() is the transaction's time: createdAt and updatedAt start out equal.
        `INSERT INTO users (email, name, name_lower, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()))
         RETURNING ${USER_COLUMNS}`,
        [normalizeEmail(input.email), input.name, foldName(input.name), input.role ?? 'user', passwordHash],
      )
      return toUser(rows[0]!)
    } catch (error) {
      if (isUniqueViolation(error)) throw new UserConflictError('EMAIL_TAKEN')
      throw error
    }
  }

  /** The user with this id, or undefined. */
  async findById(id: string): Promise<User | undefined> {
    if (!UUID.test(id)) return undefined
    const rows = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id])
    return rows[0] === undefined ? undefined : toUser(rows[0])
  }

  /** The user with this email (any case), or undefined. */
  async findByEmail(email: string): Promise<User | undefined> {
    const rows = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [
      normalizeEmail(email),
    ])
    return rows[0] === undefined ? undefined : toUser(rows[0])
  }

  /**
   * The user when `password` is theirs, else undefined. An unknown email still verifies a dummy hash, so
   * the response time does not tell which emails are registered. A hash made with weaker parameters than
   * the current ones is upgraded on the way.
   */
  async verifyCredentials(email: string, password: string): Promise<User | undefined> {
    const rows = await this.db.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`,
      [normalizeEmail(email)],
    )
    const row = rows[0]
    if (row === undefined) {
      await this.hasher.verify(password, await this.dummyHash())
      return undefined
    }
    if (!(await this.hasher.verify(password, row.password_hash))) return undefined
    if (this.hasher.needsRehash(row.password_hash)) {
      const upgraded = await this.hasher.hash(password)
      await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [
        row.id,
        upgraded,
        row.password_hash,
      ])
    }
    return toUser(row)
  }

  /**
   * Replaces the password when `currentPassword` matches: `'changed'`, `'wrong-password'`, or `'not-found'`
   * when there is no such user (any more).
   */
  async changePassword(
    id: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<'changed' | 'wrong-password' | 'not-found'> {
    if (!UUID.test(id)) return 'not-found'
    const rows = await this.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id])
    const row = rows[0]
    if (row === undefined) return 'not-found'
    if (!(await this.hasher.verify(currentPassword, row.password_hash))) return 'wrong-password'
    const passwordHash = await this.hasher.hash(newPassword)
    const updated = await this.db.query(
      `UPDATE users SET password_hash = $2, updated_at = ${NOW} WHERE id = $1 RETURNING id`,
      [id, passwordHash],
    )
    return updated.length > 0 ? 'changed' : 'not-found'
  }

  /**
   * Changes name and/or role; undefined when the user does not exist. Demoting the last admin throws
   * `UserConflictError('LAST_ADMIN')`; admins are locked first, so two concurrent demotions cannot both pass.
   */
  async update(id: string, changes: { name?: string | undefined; role?: Role | undefined }): Promise<User | undefined> {
    if (!UUID.test(id)) return undefined
    return this.db.transaction(async (tx) => {
      if (changes.role === 'user') await this.assertNotLastAdmin(tx, id)
      const rows = await tx.query<UserRow>(
        `UPDATE users SET name = COALESCE($2, name), name_lower = COALESCE($3, name_lower),
           role = COALESCE($4, role), updated_at = ${NOW}
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, changes.name ?? null, changes.name === undefined ? null : foldName(changes.name), changes.role ?? null],
      )
      return rows[0] === undefined ? undefined : toUser(rows[0])
    })
  }

  /** Deletes a user; false when there was none. Deleting the last admin throws `UserConflictError('LAST_ADMIN')`. */
  async delete(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false
    return this.db.transaction(async (tx) => {
      await this.assertNotLastAdmin(tx, id)
      const rows = await tx.query('DELETE FROM users WHERE id = $1 RETURNING id', [id])
      return rows.length > 0
    })
  }

  /** One keyset page, ordered by `sort` then id. */
  async list(query: UserListQuery): Promise<User[]> {
    const params: unknown[] = []
    const param = (value: unknown): string => {
      params.push(value)
      return `$${params.length}`
    }
    const where: string[] = []
    if (query.q !== undefined && query.q !== '') {
      // Emails are stored lowercased and names have their lowercased twin (both by JavaScript, so every
      // script folds): a plain substring test on both is case-insensitive. COALESCE covers a row written
      // by an instance older than migration 002 since this one started.
      const q = param(foldName(query.q))
      where.push(`(strpos(email, ${q}) > 0 OR strpos(COALESCE(name_lower, lower(name)), ${q}) > 0)`)
    }
    const keys = [
      ...query.sort.map(({ field, direction }) => ({ column: SORT_COLUMNS[field], direction })),
      { column: 'id', direction: 'asc' as const },
    ]
    if (query.after !== undefined) {
      const values = [...query.after.values, query.after.id].map(param)
      // (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …, with < for descending keys: the rows after the cursor.
      const branches = keys.map((key, i) => {
        const equal = keys.slice(0, i).map((prev, j) => `${prev.column} = ${values[j]}`)
        const operator = key.direction === 'asc' ? '>' : '<'
        return [...equal, `${key.column} ${operator} ${values[i]}`].join(' AND ')
      })
      where.push(`(${branches.map((branch) => `(${branch})`).join(' OR ')})`)
    }
    const order = keys.map((key) => `${key.column} ${key.direction === 'asc' ? 'ASC' : 'DESC'}`).join(', ')
    const sql = `SELECT ${USER_COLUMNS} FROM users ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${order} LIMIT ${param(query.limit)}`
    return (await this.db.query<UserRow>(sql, params)).map(toUser)
  }

  /** Makes sure an admin with this email exists: creates it, or promotes the existing user. */
  async ensureAdmin(email: string, password: string): Promise<User> {
    const existing = await this.findByEmail(email)
    if (existing === undefined) {
      try {
        return await this.create({ email, name: 'Administrator', password, role: 'admin' })
      } catch (error) {
        // Another instance created it between our read and our insert.
        if (!(error instanceof UserConflictError)) throw error
        return this.ensureAdmin(email, password)
      }
    }
    if (existing.role === 'admin') return existing
    return (await this.update(existing.id, { role: 'admin' })) ?? existing
  }

  /** Number of users (readiness and tests). */
  async count(): Promise<number> {
    const rows = await this.db.query<{ count: number }>('SELECT count(*)::int AS count FROM users')
    return rows[0]?.count ?? 0
  }

  private async assertNotLastAdmin(tx: Queryable, id: string): Promise<void> {
    const admins = await tx.query<{ id: string }>("SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
    if (admins.length === 1 && admins[0]?.id === id) throw new UserConflictError('LAST_ADMIN')
  }

  private async dummyHash(): Promise<string> {
    // prepare() made it at startup; hashing here only when the repository is used without it.
    this.#dummyHash ??= await this.hasher.hash(randomUUID())
    return this.#dummyHash
  }
}
