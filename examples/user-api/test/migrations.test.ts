// The token store's tables come from a plain SQL migration like the app's own, so they are created under the
// same lock as the rest; the file must stay the statements fastify-keel's SqlTokenStore expects.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sqlTokenStoreMigration } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'
import { migrationsDir } from '../src/db/migrate.js'

const withoutComments = (sql: string) =>
  sql
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
    .trim()

describe('example migrations', () => {
  it("should create exactly the tables of fastify-keel's SqlTokenStore", () => {
    const file = readFileSync(join(migrationsDir, '003_token_store.sql'), 'utf8')
    expect(withoutComments(file)).toBe(sqlTokenStoreMigration().trim())
  })
})
