import fastifyCors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { KeelCorsPolicy } from './cors-policy.js'
import type { ResolvedCors } from './options.js'

const NO_CROSS_ORIGIN: KeelCorsPolicy = Object.freeze({ origins: Object.freeze(new Set<string>()), credentials: false })

/** `app.corsPolicy` for the resolved CORS options (`false`: CORS off, no origin allowed). */
export function corsPolicyOf(cors: ResolvedCors | false): KeelCorsPolicy {
  if (cors === false) return NO_CROSS_ORIGIN
  // A copy: a plugin holding the policy can never change what @fastify/cors allows.
  return Object.freeze({ origins: cors.origins === '*' ? '*' : new Set(cors.origins), credentials: cors.credentials })
}

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
