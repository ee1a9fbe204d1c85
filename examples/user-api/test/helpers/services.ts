// Access to the real PostgreSQL and Redis used by integration tests.
// Unset variable: the suite is skipped with a visible message. Under CI=true an unset variable fails
// the run instead, so CI never silently skips these tests.
import { describe } from 'vitest'

const isCI = process.env.CI === 'true' || process.env.CI === '1'

function serviceUrl(variable: string): string | undefined {
  const value = process.env[variable]
  if (value !== undefined && value !== '') return value
  if (isCI) throw new Error(`${variable} must be set when CI=true: integration tests never skip in CI`)
  return undefined
}

/** `KEEL_TEST_REDIS_URL`, or undefined (tests skip) outside CI. */
export const redisUrl = serviceUrl('KEEL_TEST_REDIS_URL')
/** `KEEL_TEST_DATABASE_URL`, or undefined (tests skip) outside CI. */
export const databaseUrl = serviceUrl('KEEL_TEST_DATABASE_URL')

function describeWith(variable: string, url: string | undefined) {
  return (name: string, body: (url: string) => void) => {
    if (url === undefined) {
      console.warn(`[skip] "${name}": ${variable} is not set`)
      describe.skip(name, () => body(''))
      return
    }
    describe(name, () => body(url))
  }
}

/** A describe block that needs Redis; it receives the URL. */
export const describeWithRedis = describeWith('KEEL_TEST_REDIS_URL', redisUrl)
/** A describe block that needs PostgreSQL; it receives the URL. */
export const describeWithDatabase = describeWith('KEEL_TEST_DATABASE_URL', databaseUrl)
