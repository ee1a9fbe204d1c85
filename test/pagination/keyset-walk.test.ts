// A keyset walk over 1000 rows with ties on the sort key, driven through a real Fastify route with the
// TypeBox type provider, against PGlite (always) and real PostgreSQL (KEEL_TEST_DATABASE_URL).
import { randomBytes, randomUUID } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { CursorPaginated, CursorPaginationQuery, keelPagination, linkHeader } from 'fastify-keel/pagination'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithDatabase } from '../helpers/services.js'

interface Db {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>
}
interface Row {
  id: number
  score: number
}

const ROWS = 1000
const LIMIT = 37
const SCORES = 50 // score = id * 7 % 50: 20 rows share each score
const Item = Type.Object({ id: Type.Integer(), score: Type.Integer() })

async function createTable(db: Db, table: string): Promise<void> {
  await db.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, score integer NOT NULL)`)
  await db.query(`CREATE INDEX ON ${table} (score, id)`)
  await db.query(`INSERT INTO ${table} (id, score) SELECT g, g * 7 % $2 FROM generate_series(1, $1::int) AS g`, [
    ROWS,
    SCORES,
  ])
}

async function buildApp(db: Db, table: string): Promise<FastifyInstance> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
  await app.register(keelPagination, { cursorSecret: randomBytes(32) })
  app.get(
    '/items',
    { schema: { querystring: CursorPaginationQuery, response: { 200: CursorPaginated(Item) } } },
    async (request, reply) => {
      const { cursor, limit } = request.query
      const { rows } =
        cursor === undefined
          ? await db.query<Row>(`SELECT id, score FROM ${table} ORDER BY score, id LIMIT $1`, [limit + 1])
          : await db.query<Row>(
              `SELECT id, score FROM ${table} WHERE (score, id) > ($1, $2) ORDER BY score, id LIMIT $3`,
              [...app.pagination.decodeCursor(cursor, ['integer', 'integer']), limit + 1],
            )
      const page = app.pagination.cursorPage(rows, request.query, (row) => [row.score, row.id])
      const link = linkHeader({ url: request.url, nextCursor: page.pagination.nextCursor })
      if (link) reply.header('link', link)
      return page
    },
  )
  await app.ready()
  return app
}

function defineWalk(name: string, open: () => Promise<{ db: Db; table: string; close: () => Promise<void> }>) {
  describe(name, () => {
    let app: FastifyInstance
    let db: Db
    let table: string
    let close: () => Promise<void>

    beforeAll(async () => {
      ;({ db, table, close } = await open())
      await createTable(db, table)
      app = await buildApp(db, table)
    }, 90_000) // PGlite compiles its WebAssembly first: seconds, more on a loaded CI runner
    afterAll(async () => {
      await app?.close()
      await close?.()
    })

    it('should return every row exactly once, in order, while rows are inserted between pages', async () => {
      const seen: Row[] = []
      const ahead = new Set<number>()
      const behind = new Set<number>()
      let url = `/items?limit=${LIMIT}`
      let pages = 0
      for (;;) {
        const response = await app.inject(url)
        expect(response.statusCode).toBe(200)
        const body = response.json() as { data: Row[]; pagination: { nextCursor: string | null; hasMore: boolean } }
        seen.push(...body.data)
        pages++
        if (!body.pagination.hasMore) {
          expect(body.pagination.nextCursor).toBeNull()
          expect(response.headers.link).toBeUndefined()
          break
        }
        expect(body.data).toHaveLength(LIMIT)
        // Follow the Link header, as a client would.
        const next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link))?.[1]
        expect(next).toBeDefined()
        url = next as string
        // One row sorts after everything (must appear once), one before the cursor (must not appear).
        const aheadId = 100_000 + pages
        const behindId = 200_000 + pages
        await db.query(`INSERT INTO ${table} (id, score) VALUES ($1, $2), ($3, $4)`, [aheadId, SCORES, behindId, -1])
        ahead.add(aheadId)
        behind.add(behindId)
        expect(pages).toBeLessThan(100)
      }
      const ids = seen.map((row) => row.id)
      expect(new Set(ids).size).toBe(ids.length)
      for (let i = 1; i <= ROWS; i++) expect(ids).toContain(i)
      for (const id of ahead) expect(ids).toContain(id)
      for (const id of behind) expect(ids).not.toContain(id)
      expect(ids).toHaveLength(ROWS + ahead.size)
      for (let i = 1; i < seen.length; i++) {
        const a = seen[i - 1] as Row
        const b = seen[i] as Row
        expect(a.score < b.score || (a.score === b.score && a.id < b.id)).toBe(true)
      }
      expect(pages).toBe(Math.ceil((ROWS + ahead.size) / LIMIT))
    })

    it('should refuse a cursor signed by another server with 400 INVALID_CURSOR', async () => {
      const other = Fastify()
      await other.register(keelPagination, { cursorSecret: randomBytes(32) })
      await other.ready()
      const foreign = other.pagination.encodeCursor([0, 0])
      await other.close()
      const response = await app.inject({ url: '/items', query: { cursor: foreign } })
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('INVALID_CURSOR')
    })
  })
}

defineWalk('pagination keyset walk (PGlite)', async () => {
  const db = new PGlite()
  return {
    db: db as unknown as Db,
    table: 'items',
    close: () => db.close(),
  }
})

describeWithDatabase('pagination keyset walk (PostgreSQL)', (url) => {
  const schema = `keel_pagination_${randomUUID().replaceAll('-', '')}`
  defineWalk('pagination keyset walk on PostgreSQL', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    await pool.query(`CREATE SCHEMA ${schema}`)
    return {
      db: pool as unknown as Db,
      table: `${schema}.items`,
      close: async () => {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`)
        await pool.end()
      },
    }
  })
})
