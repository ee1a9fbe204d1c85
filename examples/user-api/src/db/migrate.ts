// Plain `.sql` migrations, applied in file-name order at startup and recorded in `schema_migrations`, so
// running them again is a no-op. Everything runs in one transaction holding an advisory lock: two instances
// starting at once on one database take turns instead of racing, and a failing migration leaves nothing
// half-applied.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database } from './database.js'

/** The folder holding this app's migrations. */
export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url))

/** An arbitrary constant naming this app's migration lock (pg_advisory_xact_lock takes a bigint). */
const MIGRATION_LOCK = 7_245_019_387

/** Applies every migration in `dir` not yet recorded; returns the names it applied, in order. */
export async function migrate(db: Database, dir = migrationsDir): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  const scripts = await Promise.all(files.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })))
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name))
    const applied: string[] = []
    for (const { name, sql } of scripts) {
      if (done.has(name)) continue
      await tx.exec(sql)
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name])
      applied.push(name)
    }
    return applied
  })
}
