// /auth/*: registration, login, token refresh and logout. With REFRESH_TOKEN_TRANSPORT=cookie the refresh token
// travels in an HttpOnly cookie instead of the JSON bodies; the routes are the same, only their schemas differ.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { problemResponse } from 'fastify-keel/errors'
import { type TObject, Type } from 'typebox'
import { appError } from '../codes.js'
import type { AppConfig } from '../config.js'
import { normalizeEmail, UserConflictError, type UsersRepository } from '../users/repository.js'
import {
  LoginBodySchema,
  LogoutBodySchema,
  RefreshBodySchema,
  RegisterBodySchema,
  UserEnvelopeSchema,
} from '../users/schemas.js'

export interface AuthRoutesOptions {
  users: UsersRepository
  config: AppConfig
  /** Cookie mode's CSRF header (keelAuth's `refreshToken.csrfHeader`). */
  csrfHeader: string
}

const tokenFields = {
  accessToken: Type.String({ description: 'JWT; send it as `Authorization: Bearer <accessToken>`' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  refreshTokenExpiresIn: Type.Integer({ description: 'Seconds until the refresh token expires' }),
  sessionId: Type.String({ format: 'uuid', description: 'The session (device) of this pair; see /auth/sessions' }),
  sessionExpiresIn: Type.Integer({ description: 'Seconds until the session ends and the user signs in again' }),
}

/** What login and refresh return in body mode (fastify-keel/auth's `TokenPair`). */
export const TokenPairSchema = Type.Object(
  {
    ...tokenFields,
    refreshToken: Type.String({ description: 'Opaque; trade it once at /auth/refresh for a new pair' }),
  },
  { additionalProperties: false },
)

/** What login and refresh return in cookie mode: the refresh token is in the `Set-Cookie` header instead. */
export const CookieTokenPairSchema = Type.Object(tokenFields, {
  additionalProperties: false,
  description: 'The refresh token is set in an HttpOnly cookie (Path=/auth), never in the body',
})

/** Cookie mode: the header every POST/PUT/PATCH/DELETE under /auth must carry (keel's CSRF check). */
const CsrfHeadersSchema = (header: string): TObject =>
  Type.Object({
    [header]: Type.String({
      minLength: 1,
      description: 'Any value: proves the request comes from a script of the app',
    }),
  })

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { users, config, csrfHeader }) => {
  const cookieMode = config.refreshTokenTransport === 'cookie'
  const pairSchema = cookieMode ? CookieTokenPairSchema : TokenPairSchema
  // Cookie mode: keel refuses (403 CSRF_REJECTED) unsafe /auth requests without this header, before validation.
  const csrf = cookieMode ? { headers: CsrfHeadersSchema(csrfHeader) } : {}
  // keelOpenApi documents what keel answers (400, 403 CSRF_REJECTED in cookie mode, 413, 415, 429, …); these are
  // the problems of the handlers themselves.
  const emailTaken = problemResponse(409, { codes: ['EMAIL_TAKEN'] })
  const badCredentials = problemResponse(401, { codes: ['INVALID_CREDENTIALS'] })
  const badRefreshToken = problemResponse(401, {
    codes: ['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_EXPIRED', 'REFRESH_TOKEN_REVOKED', 'REFRESH_TOKEN_REUSED'],
  })

  // Failed logins per client IP and email: guessing one account's password is slow, one noisy client
  // does not lock out everybody behind the same IP, and a user who types the right password is never
  // locked out by their own successes. With Redis the budget is shared by every instance.
  const loginKey = (request: FastifyRequest): string => {
    const body = request.body as { email?: unknown } | undefined
    return `${request.ip}:${typeof body?.email === 'string' ? normalizeEmail(body.email) : ''}`
  }

  app.post(
    '/auth/register',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        ...csrf,
        body: RegisterBodySchema,
        response: { 201: UserEnvelopeSchema, 409: emailTaken },
      },
    },
    async (request, reply) => {
      try {
        const user = await users.create(request.body)
        return reply.code(201).send({ user })
      } catch (error) {
        if (error instanceof UserConflictError) throw appError('EMAIL_TAKEN', 'This email is already registered')
        throw error
      }
    },
  )

  app.post(
    '/auth/login',
    {
      config: {
        security: { failureLimit: { max: config.loginRateLimit, timeWindow: '1 minute', keyGenerator: loginKey } },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in: starts a session; returns an access token and a refresh token',
        ...csrf,
        body: LoginBodySchema,
        response: { 200: pairSchema, 401: badCredentials },
      },
    },
    async (request, reply) => {
      const { email, password, device } = request.body
      // The token store first: while it is down, a right and a wrong password get the same 503, so an outage
      // never turns login into an unlimited password oracle.
      await app.tokens.checkStore()
      const user = await users.verifyCredentials(email, password)
      if (user === undefined) throw app.authError('INVALID_CREDENTIALS', 'Invalid email or password')
      // What the user will recognise this session by in GET /auth/sessions (bounded by keel, never trusted).
      const metadata = { userAgent: request.headers['user-agent'], ip: request.ip, device }
      return app.tokens.respond(reply, await app.tokens.issue({ sub: user.id, roles: [user.role] }, { metadata }))
    },
  )

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: cookieMode
          ? 'Trade the refresh cookie for a new token pair (the cookie is rewritten)'
          : 'Trade a refresh token for a new token pair (the old refresh token dies)',
        ...(cookieMode ? { ...csrf, security: [{ refreshCookie: [] }] } : { body: RefreshBodySchema }),
        response: { 200: pairSchema, 401: badRefreshToken },
      },
    },
    async (request, reply) => app.tokens.respond(reply, await app.tokens.rotate(app.tokens.fromRequest(request))),
  )

  app.post(
    '/auth/logout',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['auth'],
        summary: 'End this session: its refresh and access tokens stop working on every instance',
        ...(cookieMode ? csrf : { body: LogoutBodySchema }),
        response: { 204: Type.Null({ description: 'Logged out' }) },
      },
    },
    async (request, reply) => {
      const { sub, sid } = request.user
      // The session of this access token, and the one of the refresh token sent if it is the caller's. Another
      // user's refresh token is a silent no-op (still 204, the token keeps working): a 403 would tell the caller
      // that the token they hold is live.
      if (sid !== undefined) await app.tokens.endSession(sub, sid)
      await app.tokens.revoke(app.tokens.fromRequest(request), { sub })
      app.tokens.clearCookie(reply)
      return reply.code(204).send(null)
    },
  )
}
