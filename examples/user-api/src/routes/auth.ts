// /auth/*: registration, login, token refresh and logout.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { appError } from '../codes.js'
import type { AppConfig } from '../config.js'
import { normalizeEmail, UserConflictError, type UsersRepository } from '../users/repository.js'
import { LoginBodySchema, RefreshBodySchema, RegisterBodySchema, UserEnvelopeSchema } from '../users/schemas.js'
import { problemResponses } from './problems.js'

export interface AuthRoutesOptions {
  users: UsersRepository
  config: AppConfig
}

/** What login and refresh return (fastify-keel/auth's `TokenPair`). */
export const TokenPairSchema = Type.Object(
  {
    accessToken: Type.String({ description: 'JWT; send it as `Authorization: Bearer <accessToken>`' }),
    refreshToken: Type.String({ description: 'Opaque; trade it once at /auth/refresh for a new pair' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  },
  { additionalProperties: false },
)

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { users, config }) => {
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
        body: RegisterBodySchema,
        response: { 201: UserEnvelopeSchema, ...problemResponses(400, 409, 413, 415, 429) },
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
        summary: 'Log in; returns an access token and a refresh token',
        body: LoginBodySchema,
        response: { 200: TokenPairSchema, ...problemResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request) => {
      const user = await users.verifyCredentials(request.body.email, request.body.password)
      if (user === undefined) throw app.authError('INVALID_CREDENTIALS', 'Invalid email or password')
      return app.tokens.issue({ sub: user.id, roles: [user.role] })
    },
  )

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Trade a refresh token for a new token pair (the old refresh token dies)',
        body: RefreshBodySchema,
        response: { 200: TokenPairSchema, ...problemResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request) => app.tokens.rotate(request.body.refreshToken),
  )

  app.post(
    '/auth/logout',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['auth'],
        summary: "End this session: revoke its refresh token (another user's token is left alone)",
        security: [{ bearerAuth: [] }],
        body: RefreshBodySchema,
        response: { 204: Type.Null({ description: 'Logged out' }), ...problemResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      // Only the caller's own session: a refresh token of another user is a silent no-op (still 204).
      await app.tokens.revoke(request.body.refreshToken, { sub: request.user.sub })
      return reply.code(204).send(null)
    },
  )
}
