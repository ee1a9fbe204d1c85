// /users/*: the current user's account, and user management for admins.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { httpErrors, problemResponse } from 'fastify-keel/errors'
import { CursorPaginated, composeQuery, cursorQuery, linkHeader, parseSort, sortQuery } from 'fastify-keel/pagination'
import { Type } from 'typebox'
import { appError } from '../codes.js'
import {
  sortValue,
  type User,
  UserConflictError,
  type UserSortField,
  type UsersRepository,
} from '../users/repository.js'
import {
  AdminUpdateBodySchema,
  ChangePasswordBodySchema,
  SearchQuerySchema,
  UpdateMeBodySchema,
  UserEnvelopeSchema,
  UserIdParamsSchema,
  UserSchema,
} from '../users/schemas.js'

export interface UsersRoutesOptions {
  users: UsersRepository
  /** Failed current-password checks allowed per user and minute (`LOGIN_RATE_LIMIT`, as for login). */
  passwordFailureLimit: number
}

const UserSortQuery = sortQuery(['createdAt', 'email', 'name'] satisfies UserSortField[], { default: 'createdAt' })
const ListQuerySchema = composeQuery([
  cursorQuery({ defaultLimit: 20, maxLimit: 100 }),
  UserSortQuery,
  SearchQuerySchema,
])
const UserPageSchema = CursorPaginated(UserSchema)
const NoContent = Type.Null({ description: 'Done' })
// keelOpenApi documents what keel answers on each route (security, 400/401/403/413/414/415/429/500/503); a route
// declares only the problems of its own handler.
const userNotFound = problemResponse(404, { codes: ['USER_NOT_FOUND'] })
const userConflict = problemResponse(409, { codes: ['EMAIL_TAKEN', 'LAST_ADMIN'] })

function conflict(error: unknown): never {
  if (error instanceof UserConflictError) {
    throw error.reason === 'LAST_ADMIN'
      ? appError('LAST_ADMIN', 'The last admin cannot be demoted or deleted')
      : appError('EMAIL_TAKEN', 'This email is already registered')
  }
  throw error
}

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (
  app,
  { users, passwordFailureLimit },
) => {
  const isAdmin = app.authorize('admin')
  const isAdminOrSelf = app.authorize({
    check: (user, request: FastifyRequest) =>
      user.roles.includes('admin') || user.sub === (request.params as { id?: string }).id,
  })

  /** A valid token whose account was deleted since: the same 401 as any token that no longer works. */
  const accountGone = () => app.authError('TOKEN_INVALID', 'This account no longer exists')

  async function currentUser(request: FastifyRequest): Promise<User> {
    const user = await users.findById(request.user.sub)
    if (user === undefined) throw accountGone()
    return user
  }

  app.get(
    '/users/me',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['users'],
        summary: 'The current user',
        response: { 200: UserEnvelopeSchema },
      },
    },
    async (request) => ({ user: await currentUser(request) }),
  )

  app.patch(
    '/users/me',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['users'],
        summary: 'Update the current user',
        body: UpdateMeBodySchema,
        response: { 200: UserEnvelopeSchema },
      },
    },
    async (request) => {
      const user = await users.update(request.user.sub, { name: request.body.name })
      if (user === undefined) throw accountGone()
      return { user }
    },
  )

  app.put(
    '/users/me/password',
    {
      onRequest: [app.authenticate],
      // A stolen access token must not let its holder guess the current password at the global rate: failed
      // attempts are limited per user (the key runs in preHandler, after authenticate).
      config: {
        security: {
          failureLimit: {
            name: 'password-failures',
            max: passwordFailureLimit,
            timeWindow: '1 minute',
            keyGenerator: (request: FastifyRequest) => `password:${request.user.sub}`,
          },
        },
      },
      schema: {
        tags: ['users'],
        summary: 'Change the password; logs out every session of this user',
        body: ChangePasswordBodySchema,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      const { currentPassword, newPassword } = request.body
      // As at login: while the token store is down, answer 503 before the password is checked (and changed).
      await app.tokens.checkStore()
      const outcome = await users.changePassword(request.user.sub, currentPassword, newPassword)
      if (outcome === 'not-found') throw accountGone()
      if (outcome === 'wrong-password') throw appError('INVALID_CURRENT_PASSWORD', 'The current password is wrong')
      await app.tokens.revokeAll(request.user.sub)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/users',
    {
      onRequest: [app.authenticate, isAdmin],
      schema: {
        tags: ['admin'],
        summary: 'List users (admins only), one cursor page at a time',
        querystring: ListQuerySchema,
        response: { 200: UserPageSchema },
      },
    },
    async (request, reply) => {
      const { limit, cursor, q, sort: sortText } = request.query
      const sort = parseSort(sortText, UserSortQuery)
      const after =
        cursor === undefined ? undefined : readCursor(app.pagination.decodeCursor(cursor), sortText, sort.length)
      const rows = await users.list({ limit: limit + 1, sort, q, after })
      const page = app.pagination.cursorPage(rows, { limit }, (last: User) => [
        sortText,
        ...sort.map((key) => sortValue(last, key.field)),
        last.id,
      ])
      const nextCursor = page.pagination.nextCursor
      if (nextCursor !== null) {
        reply.header('link', linkHeader({ url: '/users', query: request.query, nextCursor }))
      }
      return page
    },
  )

  app.get(
    '/users/:id',
    {
      onRequest: [app.authenticate, isAdminOrSelf],
      schema: {
        tags: ['admin'],
        summary: 'One user (admins, or the user themselves)',
        params: UserIdParamsSchema,
        response: { 200: UserEnvelopeSchema, 404: userNotFound },
      },
    },
    async (request) => {
      const user = await users.findById(request.params.id)
      if (user === undefined) throw appError('USER_NOT_FOUND', 'No user has this id')
      return { user }
    },
  )

  app.patch(
    '/users/:id',
    {
      onRequest: [app.authenticate, isAdmin],
      schema: {
        tags: ['admin'],
        summary: "Change a user's name or role (admins only)",
        params: UserIdParamsSchema,
        body: AdminUpdateBodySchema,
        response: { 200: UserEnvelopeSchema, 404: userNotFound, 409: userConflict },
      },
    },
    async (request) => {
      const { id } = request.params
      const before = await users.findById(id)
      if (before === undefined) throw appError('USER_NOT_FOUND', 'No user has this id')
      const user = await users.update(id, request.body).catch(conflict)
      if (user === undefined) throw appError('USER_NOT_FOUND', 'No user has this id')
      // Access tokens carry the role: a role change logs the user out so their next login gets the new one.
      if (user.role !== before.role) await app.tokens.revokeAll(id)
      return { user }
    },
  )

  app.delete(
    '/users/:id',
    {
      onRequest: [app.authenticate, isAdmin],
      schema: {
        tags: ['admin'],
        summary: 'Delete a user and revoke their tokens (admins only)',
        params: UserIdParamsSchema,
        response: { 204: NoContent, 404: userNotFound, 409: userConflict },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const deleted = await users.delete(id).catch(conflict)
      if (!deleted) throw appError('USER_NOT_FOUND', 'No user has this id')
      await app.tokens.revokeAll(id)
      return reply.code(204).send(null)
    },
  )
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A cursor holds `[sort, ...sort values, id]` and is signed (keelPagination's `cursorSecret`). It only
 * continues the listing it came from: a cursor used with another sort is a 400 `INVALID_CURSOR`.
 */
function readCursor(values: readonly unknown[], sortText: string, keys: number): { values: string[]; id: string } {
  const strings = values.filter((value): value is string => typeof value === 'string')
  const id = strings.at(-1)
  if (
    strings.length !== values.length ||
    values.length !== keys + 2 ||
    values[0] !== sortText ||
    !UUID.test(id ?? '')
  ) {
    throw httpErrors.badRequest('This cursor does not belong to this listing', { code: 'INVALID_CURSOR' })
  }
  return { values: strings.slice(1, -1), id: id ?? '' }
}
