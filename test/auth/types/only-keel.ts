// Type-checked on its own by types.test.ts (a program without @fastify/jwt's types): keelAuth types exactly what
// it decorates, and nothing of @fastify/jwt's, which it does not expose.
import Fastify from 'fastify'
import { type KeelAuthUser, keelAuth, type TokenPair } from 'fastify-keel/auth'
import type { HttpError } from 'fastify-keel/errors'

const app = Fastify()
await app.register(keelAuth, { secret: 'x'.repeat(32), issuer: 'https://api.test', audience: 'test-api' })

app.get('/me', { onRequest: [app.authenticate, app.authorize('admin')] }, async (request, reply) => {
  const user: KeelAuthUser = request.user
  // @ts-expect-error keel does not expose @fastify/jwt's request.jwtVerify
  await request.jwtVerify()
  // @ts-expect-error nor request.jwtDecode
  await request.jwtDecode()
  // @ts-expect-error nor reply.jwtSign
  await reply.jwtSign({ sub: user.sub })
  return { sub: user.sub }
})

// @ts-expect-error nor app.jwt
app.jwt.sign({ sub: 'u1' })

const pair: Promise<TokenPair> = app.tokens.issue({ sub: 'u1' })
const revoked: Promise<boolean> = app.tokens.revoke('token', { sub: 'u1' })
const checked: Promise<void> = app.tokens.checkStore()
const problem: HttpError = app.authError('INVALID_CREDENTIALS', 'Invalid email or password')
// @ts-expect-error only auth's own codes
app.authError('NOT_AN_AUTH_CODE')
// @ts-expect-error revoke's sub is a string
app.tokens.revoke('token', { sub: 1 })
// @ts-expect-error the options are refused when misspelt
await app.register(keelAuth, { secret: 'x'.repeat(32), issuer: 'i', audience: 'a', accesTokenTtl: '15m' })
// Fastify's own register options are accepted
await app.register(keelAuth, { secret: 'x'.repeat(32), issuer: 'i', audience: 'a', logLevel: 'warn' })

export { checked, pair, problem, revoked }
