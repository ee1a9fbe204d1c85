// Runs the Usage example of docs/pagination.md, as written, in a consumer project (the packed tarball with
// the dependency versions a new user installs): type-checked strictly, compiled, then driven with inject.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { root, step } from './consumer.mjs'

/** The first TypeScript block after `## Usage` in docs/pagination.md. */
export function paginationUsageBlock() {
  const page = readFileSync(join(root, 'docs/pagination.md'), 'utf8')
  const usage = page.indexOf('\n## Usage')
  const start = page.indexOf('```ts\n', usage)
  const end = page.indexOf('\n```', start + 6)
  if (usage === -1 || start === -1 || end === -1) throw new Error('docs/pagination.md: no ts block under ## Usage')
  return page.slice(start + 6, end + 1)
}

// What the example must do; appended after the block, so it uses the block's `app`.
const checks = `
// ---- appended by test/package/docs-example.mjs
import assert from 'node:assert/strict'

const offset = await app.inject('/users?page=1&limit=1&sort=name')
assert.equal(offset.statusCode, 200, offset.body)
assert.deepEqual(offset.json(), {
  data: [{ id: 1, name: 'Ada', email: 'ada@example.com' }],
  pagination: { page: 1, limit: 1, total: 2, totalPages: 2, hasNext: true, hasPrev: false },
})
assert.match(String(offset.headers.link), /rel="next"/)
assert.equal((await app.inject('/users')).json().pagination.limit, 20, 'the default limit is applied')
const bad = await app.inject('/users?limit=0')
assert.equal(bad.statusCode, 400)
assert.equal(bad.json().code, 'VALIDATION_FAILED')
const first = await app.inject('/events?limit=1')
assert.equal(first.statusCode, 200, first.body)
assert.deepEqual(first.json().data, [{ id: 2, type: 'login', createdAt: '2026-01-02T00:00:00.000Z' }])
const nextCursor = first.json().pagination.nextCursor
assert.equal(typeof nextCursor, 'string')
const second = await app.inject({ url: '/events', query: { limit: '1', cursor: nextCursor } })
assert.deepEqual(second.json().data.map((row: { id: number }) => row.id), [1])
assert.equal(second.json().pagination.hasMore, false)
await app.close()
console.log('pagination docs example: ok')
`

export function runPaginationExample(work) {
  writeFileSync(join(work, 'pagination-example.mts'), paginationUsageBlock() + checks)
  step(
    'docs/pagination.md Usage example: type check and compile',
    join(root, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.docs.json'],
    { cwd: work },
  )
  step('docs/pagination.md Usage example: run', process.execPath, ['out/pagination-example.mjs'], { cwd: work })
}
