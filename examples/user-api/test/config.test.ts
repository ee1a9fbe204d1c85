import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('example config', () => {
  it('should apply the documented defaults to an empty environment', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redisUrl: undefined,
      corsOrigins: [],
      refreshTokenTransport: 'body',
      refreshGraceWindow: 0,
      loginRateLimit: 10,
      rateLimitMax: 100,
      logLevel: 'info',
      maxEventLoopDelay: 1000,
      trustProxy: false,
      shutdownDelay: 0,
      production: false,
    })
    // `.data/` in the template's own folder, wherever it was copied to.
    expect(config.dataDir).toBe(fileURLToPath(new URL('../.data/', import.meta.url)))
  })

  it('should generate a random JWT secret with a warning outside production', () => {
    const a = loadConfig({})
    const b = loadConfig({})
    expect(a.jwtSecret.length).toBeGreaterThanOrEqual(32)
    expect(a.jwtSecret).not.toBe(b.jwtSecret)
    expect(a.warnings.some((w) => w.includes('JWT_SECRET'))).toBe(true)
  })

  it('should default SHUTDOWN_DELAY to 5 s in production', () => {
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), CURSOR_SECRET: 'c'.repeat(40) }).shutdownDelay,
    ).toBe(5000)
  })

  it('should keep the cursor secret apart from the JWT secret', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(40) })
    expect(config.cursorSecret.length).toBeGreaterThanOrEqual(32)
    expect(config.cursorSecret).not.toContain(config.jwtSecret)
    expect(config.warnings.some((w) => w.includes('CURSOR_SECRET'))).toBe(true)
  })

  it('should read every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      REDIS_URL: 'redis://cache:6379',
      JWT_SECRET: 'x'.repeat(40),
      CURSOR_SECRET: 'c'.repeat(40),
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      REFRESH_TOKEN_TRANSPORT: 'cookie',
      REFRESH_GRACE_WINDOW: '5000',
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'correct horse',
      LOGIN_RATE_LIMIT: '5',
      RATE_LIMIT_MAX: '500',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      SHUTDOWN_DELAY: '3000',
      NODE_ENV: 'production',
    })
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/app',
      redisUrl: 'redis://cache:6379',
      jwtSecret: 'x'.repeat(40),
      cursorSecret: 'c'.repeat(40),
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      refreshTokenTransport: 'cookie',
      refreshGraceWindow: 5000,
      admin: { email: 'admin@example.com', password: 'correct horse' },
      loginRateLimit: 5,
      rateLimitMax: 500,
      logLevel: 'debug',
      trustProxy: ['10.0.0.0/8', '127.0.0.1'],
      shutdownDelay: 3000,
      production: true,
      warnings: [],
    })
  })

  it.each([
    [{ TRUST_PROXY: 'true' }, true],
    [{ TRUST_PROXY: 'false' }, false],
    [{ TRUST_PROXY: '::1, fd00::/8' }, ['::1', 'fd00::/8']],
  ])('should parse TRUST_PROXY %j', (env, expected) => {
    expect(loadConfig(env).trustProxy).toEqual(expected)
  })

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache' }],
    ['JWT_SECRET', { JWT_SECRET: 'short' }],
    ['JWT_SECRET', { NODE_ENV: 'production', CURSOR_SECRET: 'c'.repeat(40) }],
    ['CURSOR_SECRET', { CURSOR_SECRET: 'short' }],
    ['CURSOR_SECRET', { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }],
    ['CURSOR_SECRET', { JWT_SECRET: 'x'.repeat(40), CURSOR_SECRET: 'x'.repeat(40) }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://app.example.com/path' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'app.example.com' }],
    ['ADMIN_EMAIL and ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@b.co' }],
    ['ADMIN_EMAIL', { ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'long enough' }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'short' }],
    ['REFRESH_TOKEN_TRANSPORT', { REFRESH_TOKEN_TRANSPORT: 'header' }],
    ['REFRESH_GRACE_WINDOW', { REFRESH_GRACE_WINDOW: '61000' }],
    ['LOGIN_RATE_LIMIT', { LOGIN_RATE_LIMIT: '0' }],
    ['RATE_LIMIT_MAX', { RATE_LIMIT_MAX: '1.5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['MAX_EVENT_LOOP_DELAY', { MAX_EVENT_LOOP_DELAY: 'soon' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }],
    ['TRUST_PROXY', { TRUST_PROXY: '2' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/8,1' }],
    ['SHUTDOWN_DELAY', { SHUTDOWN_DELAY: 'later' }],
    ['PASSWORD_HASH_COST', { PASSWORD_HASH_COST: '99' }],
    ['PASSWORD_HASH_COST', { PASSWORD_HASH_COST: '4' }],
  ])('should name %s when it is invalid', (variable, env) => {
    const problems = problemsOf(env)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.startsWith(variable)).toBe(true)
  })

  it('should report every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', RATE_LIMIT_MAX: '0' })).toHaveLength(3)
  })

  it('should never echo a connection string in its message', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://user:s3cret@db/app' })
    expect(problems.join('\n')).not.toContain('s3cret')
  })
})
