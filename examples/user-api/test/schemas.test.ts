// The second half of "a password hash never leaves the database layer": even if a handler returned a user
// object carrying its hash, the routes' response schemas would drop it when serializing.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { CursorPaginated } from 'fastify-keel/pagination'
import { describe, expect, it } from 'vitest'
import { UserEnvelopeSchema, UserSchema } from '../src/users/schemas.js'

const user = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.test',
  name: 'Ada',
  role: 'user',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}
const leaky = { ...user, passwordHash: '$scrypt$leak-1', password_hash: '$scrypt$leak-2', password: 'plain-leak' }

describe('example response schemas', () => {
  it('should drop a password hash from single-user and page responses', async () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
    // The same schemas as the routes (`{ user }` and `CursorPaginated(User)`); the handlers leak on purpose.
    app.get('/one', { schema: { response: { 200: UserEnvelopeSchema } } }, async () => ({ user: leaky }) as never)
    app.get(
      '/page',
      { schema: { response: { 200: CursorPaginated(UserSchema) } } },
      async () => ({ data: [leaky], pagination: { limit: 1, nextCursor: null, hasMore: false } }) as never,
    )
    try {
      const one = await app.inject({ method: 'GET', url: '/one' })
      expect(one.statusCode).toBe(200)
      expect(one.json()).toEqual({ user })
      const page = await app.inject({ method: 'GET', url: '/page' })
      expect(page.statusCode).toBe(200)
      expect(page.json().data).toEqual([user])
      for (const body of [one.body, page.body]) {
        expect(body).not.toMatch(/scrypt|leak|password/i)
      }
    } finally {
      await app.close()
    }
  })
})
