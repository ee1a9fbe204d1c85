// Type-checked on its own by types.test.ts, with skipLibCheck off: an app that also registers its own
// @fastify/jwt declares `FastifyJWT { user: KeelAuthUser }`, and the two declarations of request.user agree.
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import { type KeelAuthUser, keelAuth } from 'fastify-keel/auth'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: KeelAuthUser
  }
}

const app = Fastify()
await app.register(keelAuth, { secret: 'x'.repeat(32), issuer: 'https://api.test', audience: 'test-api' })
await app.register(fastifyJwt, { secret: 'the-apps-own-jwt-secret-0123456789abcdef' })

app.get('/keel', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
app.get('/own', async (request) => {
  await request.jwtVerify()
  const user: KeelAuthUser = request.user
  return { sub: user.sub, roles: user.roles }
})
