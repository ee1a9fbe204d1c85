// The app's configuration, read from the environment once at startup. Every bad variable is reported with
// its own message, all at once, so a misconfigured deploy fails with the full list instead of one at a time.
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { fileURLToPath } from 'node:url'

/** Everything `buildApp` needs. Build one with {@link loadConfig}, or by hand in tests. */
export interface AppConfig {
  /** `PORT`: TCP port to listen on (0 picks a free one). @default 3000 */
  port: number
  /** `HOST`: interface to listen on. @default '127.0.0.1' */
  host: string
  /** `DATABASE_URL`: a PostgreSQL connection string; when unset the embedded PGlite database is used. */
  databaseUrl?: string | undefined
  /** `KEEL_DATA_DIR`: where the embedded database keeps its files. @default '.data' beside src/ (and dist/) */
  dataDir: string
  /** `REDIS_URL`: when set, rate-limit counters and refresh tokens live in Redis (shared by every instance). */
  redisUrl?: string | undefined
  /** `REDIS_PREFIX`: prefix of every Redis key this app writes. @default 'user-api:' */
  redisPrefix: string
  /** `JWT_SECRET`: HS256 signing secret, at least 32 characters; random per process outside production. */
  jwtSecret: string
  /**
   * `CURSOR_SECRET`: signs pagination cursors, at least 32 characters; its own secret, so rotating one never
   * rotates the other. Random per process outside production (cursors then die with the process).
   */
  cursorSecret: string
  /** `JWT_ISSUER`: the `iss` claim. @default 'fastify-keel-user-api' */
  jwtIssuer: string
  /** `JWT_AUDIENCE`: the `aud` claim. @default 'fastify-keel-user-api' */
  jwtAudience: string
  /** `CORS_ORIGINS`: origins allowed to call the API from a browser. @default [] (no cross-origin access) */
  corsOrigins: string[]
  /**
   * `REFRESH_TOKEN_TRANSPORT`: `body` (the refresh token in JSON, for native and server clients) or `cookie` (an
   * HttpOnly cookie under /auth with a CSRF check, for a browser front end). @default 'body'
   */
  refreshTokenTransport: 'body' | 'cookie'
  /**
   * `REFRESH_GRACE_WINDOW`: ms after a refresh during which the same refresh token gets the same new pair (tabs
   * refreshing at once, retries) instead of counting as reuse; `0` is off. @default 0
   */
  refreshGraceWindow: number
  /** `ADMIN_EMAIL` + `ADMIN_PASSWORD`: an admin ensured at startup. */
  admin?: { email: string; password: string } | undefined
  /** `LOGIN_RATE_LIMIT`: login attempts per minute per client IP and email. @default 10 */
  loginRateLimit: number
  /** `RATE_LIMIT_MAX`: requests per minute per client IP, every route. @default 100 */
  rateLimitMax: number
  /** `LOG_LEVEL`: pino level. @default 'info' */
  logLevel: LogLevel
  /**
   * `MAX_EVENT_LOOP_DELAY`: mean event-loop delay (ms) above which requests are shed with 503 (load
   * shedding by fastify-keel/health); `0` turns load shedding off. @default 1000
   */
  maxEventLoopDelay: number
  /**
   * `TRUST_PROXY`: Fastify's `trustProxy`: a comma list of the proxies' addresses/CIDRs (their
   * `X-Forwarded-For` is believed), or `true` only when the app is reachable solely through the proxy. A hop
   * count is refused: Fastify 5 ignores it. @default false
   */
  trustProxy: boolean | string[]
  /**
   * `SHUTDOWN_DELAY`: ms readiness reports `fail` after SIGTERM before the server stops accepting connections,
   * so the load balancer stops sending first. @default 5000 with NODE_ENV=production, else 0
   */
  shutdownDelay: number
  /**
   * `PASSWORD_HASH_COST`: scrypt cost as log2(N). FOR TESTS ONLY: a low cost makes hashing fast and weak.
   * Unset in production, where the library default (OWASP's N=2^17) applies.
   */
  passwordHashCost?: number | undefined
  /** `NODE_ENV === 'production'`. */
  production: boolean
  /** Things worth a warning at startup (e.g. a generated JWT secret); `buildApp` logs them. */
  warnings: string[]
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../.data/', import.meta.url))
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const MIN_SECRET_LENGTH = 32

/** The environment was invalid; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Env = Readonly<Record<string, string | undefined>>

/** Reads and validates the configuration from `env`; throws a {@link ConfigError} listing every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = []
  const warnings: string[] = []
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
      return fallback
    }
    return value
  }
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = read(name)
    if (raw === undefined) return undefined
    let protocol: string | undefined
    try {
      protocol = new URL(raw).protocol
    } catch {
      protocol = undefined
    }
    if (protocol === undefined || !protocols.includes(protocol)) {
      // Never echo the value: connection strings carry passwords.
      problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`)
      return undefined
    }
    return raw
  }

  const production = read('NODE_ENV') === 'production'
  const port = integer('PORT', 3000, 0, 65_535)
  const host = read('HOST') ?? '127.0.0.1'
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:'])
  const dataDir = read('KEEL_DATA_DIR') ?? DEFAULT_DATA_DIR
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:'])
  const redisPrefix = read('REDIS_PREFIX') ?? 'user-api:'

  const secret = (name: string, dies: string): string => {
    const value = read(name)
    if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
      problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters, got ${value.length}`)
    } else if (value === undefined && production) {
      problems.push(`${name} is required when NODE_ENV=production`)
    } else if (value === undefined) {
      warnings.push(`${name} is not set: using a random secret, so ${dies} die with this process`)
      return randomBytes(32).toString('base64url')
    }
    return value ?? ''
  }
  const jwtSecret = secret('JWT_SECRET', 'tokens')
  const cursorSecret = secret('CURSOR_SECRET', 'pagination cursors')
  if (jwtSecret !== '' && jwtSecret === cursorSecret) problems.push('CURSOR_SECRET must differ from JWT_SECRET')

  const corsOrigins: string[] = []
  for (const origin of (read('CORS_ORIGINS') ?? '').split(',').map((o) => o.trim())) {
    if (origin === '') continue
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      parsed = undefined
    }
    if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      problems.push(
        `CORS_ORIGINS must list origins like https://app.example.com (no path), got ${JSON.stringify(origin)}`,
      )
    } else {
      corsOrigins.push(origin)
    }
  }

  const adminEmail = read('ADMIN_EMAIL')
  const adminPassword = env.ADMIN_PASSWORD !== undefined && env.ADMIN_PASSWORD !== '' ? env.ADMIN_PASSWORD : undefined
  let admin: AppConfig['admin']
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  } else if (adminEmail !== undefined && adminPassword !== undefined) {
    if (!EMAIL.test(adminEmail))
      problems.push(`ADMIN_EMAIL must be an email address, got ${JSON.stringify(adminEmail)}`)
    else if (adminPassword.length < 8 || adminPassword.length > 1024)
      problems.push('ADMIN_PASSWORD must be 8 to 1024 characters')
    else admin = { email: adminEmail, password: adminPassword }
  }

  const transport = read('REFRESH_TOKEN_TRANSPORT') ?? 'body'
  if (transport !== 'body' && transport !== 'cookie') {
    problems.push(`REFRESH_TOKEN_TRANSPORT must be body or cookie, got ${JSON.stringify(transport)}`)
  }
  const refreshGraceWindow = integer('REFRESH_GRACE_WINDOW', 0, 0, 60_000)

  const loginRateLimit = integer('LOGIN_RATE_LIMIT', 10, 1, 1_000_000)
  const rateLimitMax = integer('RATE_LIMIT_MAX', 100, 1, 1_000_000_000)

  const maxEventLoopDelay = integer('MAX_EVENT_LOOP_DELAY', 1000, 0, 600_000)

  const logLevel = (read('LOG_LEVEL') ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(read('LOG_LEVEL'))}`)
  }

  let trustProxy: AppConfig['trustProxy'] = false
  const rawTrustProxy = read('TRUST_PROXY')
  if (rawTrustProxy === 'true' || rawTrustProxy === 'false') trustProxy = rawTrustProxy === 'true'
  else if (rawTrustProxy !== undefined) {
    const entries = rawTrustProxy.split(',').map((e) => e.trim())
    // A bare number is a hop count: Fastify 5 trusts nothing with it (and its types refuse it), so say so.
    if (entries.some((e) => !isIP(e.split('/')[0] ?? '') || !/^[^/]+(\/\d{1,3})?$/.test(e))) {
      problems.push(
        `TRUST_PROXY must be true, false or a comma list of proxy IP addresses/CIDRs (not a hop count), got ${JSON.stringify(rawTrustProxy)}`,
      )
    } else trustProxy = entries
  }

  const shutdownDelay = integer('SHUTDOWN_DELAY', production ? 5000 : 0, 0, 120_000)

  const passwordHashCost =
    read('PASSWORD_HASH_COST') === undefined ? undefined : integer('PASSWORD_HASH_COST', 17, 10, 20)
  if (passwordHashCost !== undefined && production) {
    warnings.push('PASSWORD_HASH_COST is meant for tests only; unset it in production')
  }

  if (problems.length > 0) throw new ConfigError(problems)
  return {
    port,
    host,
    databaseUrl,
    dataDir,
    redisUrl,
    redisPrefix,
    jwtSecret,
    cursorSecret,
    jwtIssuer: read('JWT_ISSUER') ?? 'fastify-keel-user-api',
    jwtAudience: read('JWT_AUDIENCE') ?? 'fastify-keel-user-api',
    corsOrigins,
    refreshTokenTransport: transport === 'cookie' ? 'cookie' : 'body',
    refreshGraceWindow,
    admin,
    loginRateLimit,
    rateLimitMax,
    logLevel,
    maxEventLoopDelay,
    trustProxy,
    shutdownDelay,
    passwordHashCost,
    production,
    warnings,
  }
}
