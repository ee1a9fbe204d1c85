// buildApp(config): the whole API as a Fastify instance, ready to `listen` (main.ts) or to drive from tests.

import type { Server } from 'node:http'
import cookie from '@fastify/cookie'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
} from 'fastify'
import { type KeelOptions, keel, keelServerOptions } from 'fastify-keel'
import { hashPassword, needsRehash, RedisTokenStore, SqlTokenStore, verifyPassword } from 'fastify-keel/auth'
// The root entry types no plugin's decorators: app.health is typed by this import, auth's by fastify-keel/auth's,
// and the routes' `config.security` by fastify-keel/security's.
import type {} from 'fastify-keel/health'
import type {} from 'fastify-keel/security'
import type { Redis } from 'ioredis'
import type { AppConfig } from './config.js'
import { type Database, openDatabase } from './db/database.js'
import { migrate } from './db/migrate.js'
import { authRoutes } from './routes/auth.js'
import { sessionsRoutes } from './routes/sessions.js'
import { usersRoutes } from './routes/users.js'
import { type PasswordHasher, UsersRepository } from './users/repository.js'

/** Test and embedding hooks for {@link buildApp}. */
export interface BuildOptions {
  /** Fastify's `logger` option. @default `{ level: config.logLevel }` */
  logger?: FastifyServerOptions['logger']
  /** A pino instance to log with (tests capture lines this way); wins over `logger`. */
  loggerInstance?: FastifyBaseLogger
  /**
   * A database opened already (with `openDatabase`), used instead of the one `config` names; it is migrated
   * and closed with the app like its own. Tests use it to reach the database behind the app.
   */
  database?: Database
  /** keelHealth's `handleSignals`: main.ts turns it on; tests leave it off. @default false */
  handleSignals?: boolean
  /** The OpenAPI version of `/docs/json` (tests check both). @default '3.0.3' */
  openapiVersion?: '3.0.3' | '3.1.0'
}

/** The app `buildApp` returns: a Fastify instance with the TypeBox type provider. */
export type App = FastifyInstance<
  Server,
  RawRequestDefaultExpression<Server>,
  RawReplyDefaultExpression<Server>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** The API's version, shown in OpenAPI and health documents. */
export const API_VERSION = '1.0.0'

const DOCS_PREFIX = '/docs'
/** Request headers browsers may send cross-origin (keel's CORS defaults), plus cookie mode's CSRF header. */
const CORS_HEADERS = ['authorization', 'content-type', 'x-request-id']
export const CSRF_HEADER = 'x-requested-with'
const DOCS_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/**
 * Builds the user API: opens the database and runs its migrations, connects to Redis when configured,
 * ensures the configured admin exists, and registers fastify-keel plus the routes. Closing the app closes
 * the database and Redis connections.
 */
export async function buildApp(config: AppConfig, options: BuildOptions = {}): Promise<App> {
  const serverOptions: FastifyHttpOptions<Server> = {
    trustProxy: config.trustProxy,
    // Reject unknown body fields with a 400 instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
    // Bad URLs (`/users/%ZZ`), over-long path parameters and requests Node's parser refuses never reach a
    // plugin hook: these options answer them with problem documents carrying the request id and security headers.
    ...keelServerOptions({ errors: ERRORS_OPTIONS, security: securityOptions(config) }),
  }
  if (options.loggerInstance !== undefined) serverOptions.loggerInstance = options.loggerInstance
  else serverOptions.logger = options.logger ?? { level: config.logLevel }
  const app: App = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>()

  for (const warning of config.warnings) app.log.warn(warning)

  const { db, redis } = await connect(config, app, options.database)
  app.addHook('onClose', async () => {
    await db.close()
    await redis?.quit()
  })

  const hasher = passwordHasher(config)
  const users = new UsersRepository(db, hasher)
  await users.prepare()
  if (config.admin !== undefined) await users.ensureAdmin(config.admin.email, config.admin.password)

  // Swagger UI is an HTML page with its own scripts and styles: loosen keel's API security headers
  // (`default-src 'none'`) for the /docs routes only, through the security plugin's route config. The hook
  // runs before keelSecurity's own onRoute hook, which reads that config.
  app.addHook('onRoute', (route) => {
    if (route.url === DOCS_PREFIX || route.url.startsWith(`${DOCS_PREFIX}/`)) {
      route.config = { ...route.config, security: { helmet: { contentSecurityPolicy: { directives: DOCS_CSP } } } }
    }
  })

  const cookieMode = config.refreshTokenTransport === 'cookie'
  // Cookie mode: @fastify/cookie reads and writes the refresh cookie.
  if (cookieMode) await app.register(cookie)
  await app.register(keel, {
    // keelOpenApi (it registers @fastify/swagger) derives security, problem responses and headers from keel's
    // plugins; the routes declare only the problems of their own handlers.
    openapi: {
      openapi: options.openapiVersion ?? '3.0.3',
      info: {
        title: 'fastify-keel user API',
        version: API_VERSION,
        description:
          'Accounts, login with rotating refresh tokens, and user management. Errors are RFC 9457 problem documents.',
        license: { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
      },
      servers: [{ url: `http://${config.host}:${config.port}` }],
      // What every route's handler can answer on its own: the database down (codes.ts).
      problems: { 503: ['DATABASE_UNAVAILABLE'] },
      tags: [
        { name: 'auth', description: 'Registration, login, token refresh, logout, sessions' },
        { name: 'users', description: 'The current user' },
        { name: 'admin', description: 'User management (admins)' },
        { name: 'health', description: 'Probes' },
      ],
    },
    errors: ERRORS_OPTIONS,
    security: securityOptions(config, redis),
    health: {
      version: API_VERSION,
      underPressure: config.maxEventLoopDelay === 0 ? false : { maxEventLoopDelay: config.maxEventLoopDelay },
      // SIGTERM/SIGINT: readiness fails at once, requests are served for shutdownDelay so the load balancer
      // stops sending, then the server drains and closes (main.ts only listens).
      handleSignals: options.handleSignals ?? false,
      shutdownDelay: config.shutdownDelay,
    },
    pagination: { cursorSecret: config.cursorSecret },
    auth: {
      secret: config.jwtSecret,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      // Without Redis, sessions live in the database (migration 003), so they survive a restart of the app.
      store:
        redis === undefined
          ? new SqlTokenStore(db.client)
          : new RedisTokenStore(redis, { prefix: `${config.redisPrefix}tokens:` }),
      // Sessions are session-bound (keel's default): logging out or ending a session kills its access tokens.
      refreshToken: cookieMode ? { transport: 'cookie', csrfHeader: CSRF_HEADER } : { transport: 'body' },
      refreshGraceWindow: config.refreshGraceWindow,
    },
  })

  app.health.addCheck(
    'database',
    async () => {
      await db.query('SELECT 1')
    },
    { critical: true, timeout: 1000 },
  )
  if (redis !== undefined) {
    app.health.addCheck(
      'redis',
      async () => {
        await redis.ping()
      },
      { critical: true, timeout: 1000 },
    )
  }

  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX })
  await app.register(authRoutes, { users, config, csrfHeader: CSRF_HEADER })
  await app.register(sessionsRoutes)
  await app.register(usersRoutes, { users, passwordFailureLimit: config.loginRateLimit })
  return app
}

/**
 * Bodies are validated as sent: `{"name": 123}` is a 400, not the string "123" (querystring, params and headers,
 * strings on the wire, keep Fastify's coercion).
 */
const ERRORS_OPTIONS = { strictBody: true } as const

/** keel's security options: CORS for the configured origins, and the app-wide rate limit (in Redis if any). */
function securityOptions(config: AppConfig, redis?: Redis): NonNullable<KeelOptions['security']> {
  // Cookie mode: CORS lets the allowed front ends send the cookie (credentials) and the CSRF header keel
  // requires on /auth.
  const cors =
    config.refreshTokenTransport === 'cookie'
      ? { origins: config.corsOrigins, credentials: true, allowedHeaders: [...CORS_HEADERS, CSRF_HEADER] }
      : { origins: config.corsOrigins }
  return {
    cors,
    rateLimit: {
      max: config.rateLimitMax,
      timeWindow: 60_000,
      nameSpace: `${config.redisPrefix}rate-limit:`,
      ...(redis === undefined ? {} : { redis }),
    },
  }
}

async function connect(config: AppConfig, app: App, database?: Database): Promise<{ db: Database; redis?: Redis }> {
  const db =
    database ??
    (await openDatabase(config.databaseUrl === undefined ? { dataDir: config.dataDir } : { url: config.databaseUrl }))
  try {
    const applied = await migrate(db)
    if (applied.length > 0) app.log.info({ migrations: applied }, 'applied database migrations')
    if (config.redisUrl === undefined) return { db }
    const { Redis } = await import('ioredis')
    // No offline queue: while Redis is down, commands fail at once (readiness reports it, the rate limiter
    // fails open) instead of piling up and hanging requests.
    const redis = new Redis(config.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    // Connection errors are retried by ioredis and surface in readiness; this listener keeps them from
    // crashing the process as unhandled 'error' events.
    redis.on('error', (error: Error) => app.log.debug({ err: error }, 'redis connection error'))
    await redis.connect()
    return { db, redis }
  } catch (error) {
    await db.close()
    throw error
  }
}

function passwordHasher(config: AppConfig): PasswordHasher {
  const cost = config.passwordHashCost === undefined ? undefined : { ln: config.passwordHashCost }
  return {
    hash: (password) => hashPassword(password, cost),
    verify: (password, hash) => verifyPassword(password, hash),
    needsRehash: (hash) => needsRehash(hash, cost),
  }
}
