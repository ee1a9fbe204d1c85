import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { ResolvedCors } from './options.js'

/** Whether the CORS options allow any origin at all (with none, there is nothing for `@fastify/cors` to do). */
export function allowsAnyOrigin(cors: ResolvedCors | false): cors is ResolvedCors {
  return cors !== false && (cors.origins === '*' || cors.origins.size > 0)
}

/** Registers `@fastify/cors` for exactly the configured origins. */
export async function registerCors(app: FastifyInstance, cors: ResolvedCors): Promise<void> {
  const allowed = cors.origins
  await app.register(fastifyCors, {
    origin:
      allowed === '*'
        ? '*'
        : // A function makes @fastify/cors echo only exact matches and always add `Vary: Origin`; any other
          // origin (or none) gets no CORS headers at all, and its preflight falls through to a 404.
          (origin: string | undefined, callback: (error: Error | null, origin: string | false) => void) => {
            callback(null, origin !== undefined && allowed.has(origin) ? origin : false)
          },
    credentials: cors.credentials,
    methods: [...cors.methods],
    allowedHeaders: [...cors.allowedHeaders],
    exposedHeaders: [...cors.exposedHeaders],
    maxAge: cors.maxAge,
    strictPreflight: true,
  })
}
