// The users repository's credential check: the same work for unknown emails and wrong passwords (no
// timing oracle for registered emails), and weak hashes upgraded on login.
import { describe, expect, it } from 'vitest'
import type { Database } from '../src/db/database.js'
import { type PasswordHasher, UsersRepository } from '../src/users/repository.js'

const row = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'known@example.test',
  name: 'Known',
  role: 'user',
  created_at: new Date('2026-01-01T00:00:00.000Z'),
  updated_at: new Date('2026-01-01T00:00:00.000Z'),
  password_hash: 'hash:right-password',
}

function fakeDatabase(queries: Array<{ sql: string; params: readonly unknown[] }>): Database {
  return {
    kind: 'pglite',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      queries.push({ sql, params })
      return (params[0] === row.email && sql.startsWith('SELECT') ? [row] : []) as Row[]
    },
    client: {
      query: async () => {
        throw new Error('not used')
      },
    },
    exec: async () => {},
    transaction: async () => {
      throw new Error('not used')
    },
    close: async () => {},
  }
}

function countingHasher(options: { weak?: boolean } = {}) {
  const calls = { hash: 0, verify: 0 }
  const hasher: PasswordHasher = {
    async hash(password) {
      calls.hash += 1
      return `hash:${password}`
    },
    async verify(password, hash) {
      calls.verify += 1
      return hash === `hash:${password}`
    },
    needsRehash: () => options.weak === true,
  }
  return { hasher, calls }
}

describe('example users repository', () => {
  it('should verify a dummy hash when the email is unknown', async () => {
    const { hasher, calls } = countingHasher()
    const users = new UsersRepository(fakeDatabase([]), hasher)
    expect(await users.verifyCredentials('nobody@example.test', 'whatever')).toBeUndefined()
    expect(calls.verify).toBe(1)
  })

  it('should hash the dummy password at startup, so the first unknown email costs no extra hash', async () => {
    const { hasher, calls } = countingHasher()
    const users = new UsersRepository(fakeDatabase([]), hasher)
    await users.prepare()
    expect(calls.hash).toBe(1)
    expect(await users.verifyCredentials('nobody@example.test', 'whatever')).toBeUndefined()
    expect(await users.verifyCredentials('nobody-else@example.test', 'whatever')).toBeUndefined()
    expect(calls).toEqual({ hash: 1, verify: 2 })
  })

  it('should verify exactly once for a wrong password', async () => {
    const { hasher, calls } = countingHasher()
    const users = new UsersRepository(fakeDatabase([]), hasher)
    expect(await users.verifyCredentials(' KNOWN@example.test ', 'wrong-password')).toBeUndefined()
    expect(calls.verify).toBe(1)
  })

  it('should return the public user without its hash for the right password', async () => {
    const { hasher } = countingHasher()
    const users = new UsersRepository(fakeDatabase([]), hasher)
    const user = await users.verifyCredentials('known@example.test', 'right-password')
    expect(user).toEqual({
      id: row.id,
      email: row.email,
      name: row.name,
      role: 'user',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    })
  })

  it('should upgrade a hash made with weaker parameters on login', async () => {
    const queries: Array<{ sql: string; params: readonly unknown[] }> = []
    const { hasher, calls } = countingHasher({ weak: true })
    const users = new UsersRepository(fakeDatabase(queries), hasher)
    await users.verifyCredentials('known@example.test', 'right-password')
    expect(calls.hash).toBe(1)
    expect(queries.some((q) => q.sql.startsWith('UPDATE users SET password_hash'))).toBe(true)
  })
})
