// /auth/sessions: the devices a user is signed in on, and signing one of them out. Users see and end their own
// sessions; admins any user's, with `?userId=`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { KeelSession } from 'fastify-keel/auth'
import { problemResponse } from 'fastify-keel/errors'
import { type Static, Type } from 'typebox'
import { appError } from '../codes.js'

/** A session as the API returns it: when, and on what, the user signed in. */
export const SessionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Session id (the `sessionId` of its token pairs)' }),
    current: Type.Boolean({ description: 'Whether this is the session of the access token that asked' }),
    createdAt: Type.String({ format: 'date-time', description: 'When the user signed in' }),
    lastUsedAt: Type.String({ format: 'date-time', description: 'The last token refresh' }),
    expiresAt: Type.String({ format: 'date-time', description: 'When the session ends for good' }),
    userAgent: Type.Optional(Type.String({ description: 'The browser or app, as it named itself at sign-in' })),
    ip: Type.Optional(Type.String({ description: 'The client address at sign-in' })),
    device: Type.Optional(Type.String({ description: 'The device name given at sign-in' })),
  },
  { additionalProperties: false },
)
export type SessionResponse = Static<typeof SessionSchema>

const SessionsEnvelopeSchema = Type.Object(
  { sessions: Type.Array(SessionSchema, { description: 'Live sessions, most recently used first' }) },
  { additionalProperties: false },
)
const OwnerQuerySchema = Type.Object(
  { userId: Type.Optional(Type.String({ format: 'uuid', description: "Admins: another user's sessions" })) },
  { additionalProperties: false },
)
const SessionParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'Session id' }) },
  { additionalProperties: false },
)

const iso = (ms: number) => new Date(ms).toISOString()

function present(session: KeelSession, current: string | undefined): SessionResponse {
  return {
    id: session.id,
    current: session.id === current,
    createdAt: iso(session.createdAt),
    lastUsedAt: iso(session.lastUsedAt),
    expiresAt: iso(session.expiresAt),
    ...session.metadata,
  }
}

export const sessionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** `?userId=` of someone else is for admins only (403 FORBIDDEN otherwise). */
  const ownSessionsOrAdmin = app.authorize({
    check: (user, request: FastifyRequest) => {
      const userId = (request.query as { userId?: string }).userId
      return userId === undefined || userId === user.sub || user.roles.includes('admin')
    },
  })
  const owner = (request: FastifyRequest<{ Querystring: Static<typeof OwnerQuerySchema> }>) =>
    request.query.userId ?? request.user.sub

  app.get(
    '/auth/sessions',
    {
      onRequest: [app.authenticate],
      preHandler: [ownSessionsOrAdmin],
      schema: {
        tags: ['auth'],
        summary: 'The sessions (devices) the user is signed in on',
        querystring: OwnerQuerySchema,
        response: { 200: SessionsEnvelopeSchema },
      },
    },
    async (request) => {
      const sessions = await app.tokens.sessions(owner(request))
      return { sessions: sessions.map((session) => present(session, request.user.sid)) }
    },
  )

  app.delete(
    '/auth/sessions/:id',
    {
      onRequest: [app.authenticate],
      preHandler: [ownSessionsOrAdmin],
      schema: {
        tags: ['auth'],
        summary: 'Sign a session out: its tokens stop working at once, on every instance',
        params: SessionParamsSchema,
        querystring: OwnerQuerySchema,
        response: {
          204: Type.Null({ description: 'Signed out' }),
          404: problemResponse(404, { codes: ['SESSION_NOT_FOUND'] }),
        },
      },
    },
    async (request, reply) => {
      // Another user's session is "not found" too: a session id alone ends nothing.
      if (!(await app.tokens.endSession(owner(request), request.params.id))) {
        throw appError('SESSION_NOT_FOUND', 'No such session')
      }
      return reply.code(204).send(null)
    },
  )
}
