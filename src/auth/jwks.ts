// `GET /.well-known/jwks.json`: the public keys as a JWK Set, serialised once at register time.
import type { FastifyInstance } from 'fastify'
import type { KeyRing } from './keys.js'

/** Registers the JWKS route, in its own context so it adds nothing else to the app. */
export async function registerJwks(app: FastifyInstance, jwks: KeyRing['jwks']): Promise<void> {
  const body = JSON.stringify(jwks)
  await app.register(async function keelAuthJwks(child: FastifyInstance) {
    child.get('/.well-known/jwks.json', async function jwks(_request, reply) {
      return reply.type('application/json').header('cache-control', 'public, max-age=300').send(body)
    })
  })
}
