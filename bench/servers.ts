// The servers the benchmark measures. Each builder returns a server that is not yet listening, plus what
// the load generator must send and what it must get back. Every server answers the same route: GET JSON
// `{ hello: 'world' }` with a response schema (Express has no schemas; it sends the same body).
//
// keel is imported with typed `import('fastify-keel…')` expressions: `tsc` checks every name and option
// against the sources (so API drift breaks the type check), while at run time each server process still
// loads only its own stack, and the RSS column compares like with like. The harness runs this file bundled
// by esbuild with every package external, so `fastify-keel` resolves to the built package (see bench/run.mjs).
// Third-party plugins are imported inside the builder that uses them, for the same reason.
import { createSecretKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { KeelAuthOptions } from 'fastify-keel/auth'
import type { KeelSecurityOptions } from 'fastify-keel/security'
import type { Static } from 'typebox'

/** The origin every request carries, and the only one on the CORS allowlists. */
export const ORIGIN = 'https://app.example.com'
/** HS256 secret shared by every auth scenario (32 bytes, as a real deployment would use at least). */
export const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef'
/** Rate limits are set this high everywhere so they never trigger: the bench measures their cost, not 429s. */
export const RATE_LIMIT_MAX = 1_000_000_000
const ISSUER = 'https://bench.example'
const AUDIENCE = 'bench'

/** A server ready to listen, and the request the load generator sends to it. */
export interface BenchServer {
  /** Starts listening on 127.0.0.1, port 0; resolves with the port. */
  listen(): Promise<number>
  close(): Promise<void>
  /** @default '/' */
  path?: string
  /** Extra request headers (e.g. a bearer token). `origin` is always sent. */
  headers?: Record<string, string>
  /** @default 200 */
  expectStatus?: number
  /** A substring the response content-type must contain (checked once before the run). */
  expectContentType?: string
  /** Load at this fixed rate (req/s over all connections) instead of a closed loop. @default undefined */
  offeredRate?: number
  /** What the scenario ran on, shown in the table (e.g. `PostgreSQL + Redis`). @default undefined */
  label?: string
}

/** Thrown while building a scenario that cannot run here; the table shows it as "skipped (<message>)". */
export class SkipScenario extends Error {
  override name = 'SkipScenario'
}

const helloSchema = {
  response: {
    200: {
      type: 'object',
      properties: { hello: { type: 'string' } },
      required: ['hello'],
      additionalProperties: false,
    },
  },
} as const

async function hello() {
  return { hello: 'world' }
}

function fastifyServer(app: FastifyInstance, extra: Omit<BenchServer, 'listen' | 'close'> = {}): BenchServer {
  return {
    ...extra,
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' })
      return (app.server.address() as AddressInfo).port
    },
    close: () => app.close(),
  }
}

function bareApp(): FastifyInstance {
  return Fastify({ logger: false })
}

/** The official plugins wired by hand with their defaults: what users write today. */
async function handWiredApp(): Promise<FastifyInstance> {
  const [
    { default: fastifyHelmet },
    { default: fastifyCors },
    { default: fastifyRateLimit },
    { default: fastifyUnderPressure },
  ] = await Promise.all([
    import('@fastify/helmet'),
    import('@fastify/cors'),
    import('@fastify/rate-limit'),
    import('@fastify/under-pressure'),
  ])
  const app = Fastify({ logger: false, requestIdHeader: 'x-request-id', genReqId: () => randomUUID() })
  await app.register(fastifyHelmet)
  await app.register(fastifyCors, { origin: [ORIGIN] })
  await app.register(fastifyRateLimit, { max: RATE_LIMIT_MAX, timeWindow: '1 minute' })
  // Thresholds as in under-pressure's README, loose enough never to shed load during the run.
  await app.register(fastifyUnderPressure, {
    maxEventLoopDelay: 1000,
    maxHeapUsedBytes: 1024 * 1024 * 1024,
    maxRssBytes: 2048 * 1024 * 1024,
  })
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    reply.header('x-request-id', request.id)
    return payload
  })
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    return reply
      .status(status)
      .send({ statusCode: status, code: error.code, message: error.message, requestId: request.id })
  })
  return app
}

const securityOptions = {
  cors: { origins: [ORIGIN] },
  rateLimit: { max: RATE_LIMIT_MAX },
} satisfies KeelSecurityOptions

// Stateless access tokens (only the revokeAll check per request); the session-bound scenario adds the session
// check in the same one store lookup.
const authOptions = {
  secret: SECRET,
  issuer: ISSUER,
  audience: AUDIENCE,
  accessTokenTtl: '1h',
  accessTokens: 'stateless',
} satisfies KeelAuthOptions

/**
 * keelHealth's options: its defaults, except under valgrind (bench/instructions.mjs sets KEEL_BENCH_SLOW), where the
 * event loop is slow enough to trip load shedding (and a sample interval without a delay sample reads as infinite
 * delay): there the delay check is off and a heap limit nothing reaches keeps under-pressure's hook in place.
 */
const healthOptions =
  process.env.KEEL_BENCH_SLOW === '1' ? { underPressure: { maxEventLoopDelay: 0, maxHeapUsedBytes: 2 ** 36 } } : {}

async function keelApp(auth: KeelAuthOptions | false, security: KeelSecurityOptions = securityOptions) {
  const { keel } = await import('fastify-keel')
  const app = bareApp()
  await app.register(keel, { security, pagination: true, auth, health: healthOptions })
  return app
}

/** The security options of `keel` with other rate-limit settings. */
const withRateLimit = (rateLimit: KeelSecurityOptions['rateLimit']): KeelSecurityOptions => ({
  ...securityOptions,
  rateLimit,
})

async function bearer(app: FastifyInstance): Promise<Record<string, string>> {
  await app.ready()
  const { accessToken } = await app.tokens.issue({ sub: 'bench-user', roles: ['user'] })
  return { authorization: `Bearer ${accessToken}` }
}

/** The user schema of the list scenarios, built with the TypeBox the caller loaded. */
function userSchemaOf(Type: typeof import('typebox').Type) {
  return Type.Object(
    {
      id: Type.String({ format: 'uuid' }),
      email: Type.String({ format: 'email' }),
      name: Type.String(),
      role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
      createdAt: Type.String({ format: 'date-time' }),
      updatedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  )
}

const makeUsers = () =>
  Array.from({ length: 20 }, (_, i) => ({
    id: randomUUID(),
    email: `user${i}@example.com`,
    name: `User Number ${i}`,
    role: i === 0 ? 'admin' : 'user',
    createdAt: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
    updatedAt: new Date(Date.UTC(2025, 5, 1 + i)).toISOString(),
  }))

/** A keel plugin registered alone on bare Fastify, for the ablation. */
async function alone(register: (app: FastifyInstance) => Promise<unknown>): Promise<BenchServer> {
  const app = bareApp()
  await register(app)
  app.get('/', { schema: helloSchema }, hello)
  return fastifyServer(app)
}

/** Scenario name → builder. The order here is the order of the table. */
export const servers: Record<string, () => Promise<BenchServer>> = {
  async bare() {
    const app = bareApp()
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app)
  },

  async 'hand-wired'() {
    const app = await handWiredApp()
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app)
  },

  async 'hand-wired+jwt'() {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const app = await handWiredApp()
    await app.register(fastifyJwt, { secret: SECRET })
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify()
    })
    app.get('/', { schema: helloSchema }, hello)
    await app.ready()
    const token = app.jwt.sign({ sub: 'bench-user', roles: ['user'] }, { expiresIn: '1h' })
    return fastifyServer(app, { headers: { authorization: `Bearer ${token}` } })
  },

  async express() {
    const [{ default: express }, { default: helmet }, { default: cors }, { rateLimit }, { default: jsonwebtoken }] =
      await Promise.all([
        import('express'),
        import('helmet'),
        import('cors'),
        import('express-rate-limit'),
        import('jsonwebtoken'),
      ])
    const key = createSecretKey(Buffer.from(SECRET))
    const app = express()
    app.use(helmet())
    app.use(cors({ origin: [ORIGIN] }))
    app.use(rateLimit({ windowMs: 60_000, limit: RATE_LIMIT_MAX, standardHeaders: 'draft-7', legacyHeaders: false }))
    app.use((req, res, next) => {
      const header = req.headers.authorization
      if (header === undefined || !header.startsWith('Bearer ')) {
        res.status(401).json({ message: 'missing token' })
        return
      }
      jsonwebtoken.verify(header.slice(7), key, { algorithms: ['HS256'] }, (error) => {
        if (error) res.status(401).json({ message: 'invalid token' })
        else next()
      })
    })
    app.get('/', (_req, res) => {
      res.json({ hello: 'world' })
    })
    const token = jsonwebtoken.sign({ sub: 'bench-user', roles: ['user'] }, key, {
      algorithm: 'HS256',
      expiresIn: '1h',
    })
    const server = createServer(app)
    return {
      headers: { authorization: `Bearer ${token}` },
      listen: () =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
        }),
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
  },

  // The reference of `keel list`: the same page (20 users, the same envelope and response schema, a validated
  // page/limit querystring) from bare Fastify, without keel's plugins or a token.
  async 'bare list'() {
    const { Type } = await import('typebox')
    const users = makeUsers()
    const query = Type.Object({
      page: Type.Integer({ minimum: 1, default: 1 }),
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    })
    const page = Type.Object({
      data: Type.Array(userSchemaOf(Type)),
      pagination: Type.Object({
        page: Type.Integer(),
        limit: Type.Integer(),
        total: Type.Integer(),
        totalPages: Type.Integer(),
        hasNext: Type.Boolean(),
        hasPrev: Type.Boolean(),
      }),
    })
    const app = bareApp()
    app.get<{ Querystring: Static<typeof query> }>(
      '/users',
      { schema: { querystring: query, response: { 200: page } } },
      async (request) => {
        const { page, limit } = request.query
        const totalPages = Math.ceil(100 / limit)
        return {
          data: users,
          pagination: { page, limit, total: 100, totalPages, hasNext: page < totalPages, hasPrev: page > 1 },
        }
      },
    )
    return fastifyServer(app, { path: '/users?page=1&limit=20' })
  },

  // The reference of `keel 404`: Fastify's own not-found answer.
  async 'bare 404'() {
    const app = bareApp()
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app, { path: '/does-not-exist', expectStatus: 404 })
  },

  async keel() {
    const app = await keelApp(false)
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app)
  },

  async 'keel+auth'() {
    const app = await keelApp(authOptions)
    app.get('/', { schema: helloSchema, onRequest: [app.authenticate] }, hello)
    return fastifyServer(app, { headers: await bearer(app) })
  },

  async 'keel+auth (session-bound)'() {
    const app = await keelApp({ ...authOptions, accessTokens: 'session-bound' })
    app.get('/', { schema: helloSchema, onRequest: [app.authenticate] }, hello)
    return fastifyServer(app, { headers: await bearer(app) })
  },

  // An identity provider's RS256 token, verified through its JWK Set (served on 127.0.0.1 by this process, fetched
  // once): the resource-server path with the keys and the verified token cached, next to keel+auth's HS256.
  async 'keel+jwks'() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwks = JSON.stringify({
      keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }],
    })
    const idp = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks),
    )
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve))
    const jwksUri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`
    const { keelResourceServer } = await import('fastify-keel/resource-server')
    const app = await keelApp(false)
    await app.register(keelResourceServer, {
      issuers: [{ issuer: ISSUER, jwksUri, audience: AUDIENCE, algorithms: ['RS256'] }],
    })
    app.get('/', { schema: helloSchema, onRequest: [app.authenticate] }, hello)
    app.addHook('onClose', async () => {
      idp.closeAllConnections()
      await new Promise<void>((resolve) => idp.close(() => resolve()))
    })
    const now = Math.floor(Date.now() / 1000)
    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${segment({ alg: 'RS256', typ: 'JWT', kid: 'bench' })}.${segment({ iss: ISSUER, aud: AUDIENCE, sub: 'bench-user', roles: ['user'], iat: now, exp: now + 3600 })}`
    const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
    return fastifyServer(app, { headers: { authorization: `Bearer ${token}` } })
  },

  async 'keel list'() {
    const { Type } = await import('typebox')
    const users = makeUsers()
    const userSchema = userSchemaOf(Type)
    const { Paginated, OffsetPaginationQuery, paginate } = await import('fastify-keel/pagination')
    const app = await keelApp(authOptions)
    app.get<{ Querystring: Static<typeof OffsetPaginationQuery> }>(
      '/users',
      {
        schema: { querystring: OffsetPaginationQuery, response: { 200: Paginated(userSchema) } },
        onRequest: [app.authenticate],
      },
      async (request) => paginate(users, 100, request.query),
    )
    return fastifyServer(app, { path: '/users?page=1&limit=20', headers: await bearer(app) })
  },

  // The rate-limit scenarios: the headers of keel < 0.1 (`keel` sends the standard RateLimit fields), and three
  // policies (a sliding window, a fixed one and one keyed by a header) checked together on every request.
  async 'keel legacy headers'() {
    const app = await keelApp(false, withRateLimit({ max: RATE_LIMIT_MAX, headers: 'legacy' }))
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app)
  },

  async 'keel 3 policies'() {
    const app = await keelApp(
      false,
      withRateLimit({
        policies: [
          { name: 'burst', max: RATE_LIMIT_MAX, timeWindow: '1 s', algorithm: 'sliding' },
          { name: 'hourly', max: RATE_LIMIT_MAX, timeWindow: '1 hour' },
          { name: 'per-origin', max: RATE_LIMIT_MAX, keyGenerator: (request) => request.headers.origin },
        ],
      }),
    )
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app)
  },

  async 'keel 404'() {
    const app = await keelApp(false)
    app.get('/', { schema: helloSchema }, hello)
    return fastifyServer(app, {
      path: '/does-not-exist',
      expectStatus: 404,
      expectContentType: 'application/problem+json',
    })
  },

  // The example app at a fixed offered rate (bench/example.ts).
  async example() {
    const { exampleServer } = await import('./example.js')
    return exampleServer()
  },
}

/** Ablation: each keel plugin alone on bare Fastify (`npm run bench -- --ablation`). */
export const ablation: Record<string, () => Promise<BenchServer>> = {
  'bare+request-id': () => alone(async (app) => app.register((await import('fastify-keel/request-id')).keelRequestId)),
  'bare+errors': () => alone(async (app) => app.register((await import('fastify-keel/errors')).keelErrors)),
  'bare+security': () =>
    alone(async (app) => app.register((await import('fastify-keel/security')).keelSecurity, securityOptions)),
  'bare+health': () =>
    alone(async (app) => app.register((await import('fastify-keel/health')).keelHealth, healthOptions)),
  'bare+pagination': () => alone(async (app) => app.register((await import('fastify-keel/pagination')).keelPagination)),
  async 'bare+auth'() {
    const { keelAuth } = await import('fastify-keel/auth')
    const app = bareApp()
    await app.register(keelAuth, authOptions)
    app.get('/', { schema: helloSchema, onRequest: [app.authenticate] }, hello)
    return fastifyServer(app, { headers: await bearer(app) })
  },
}
