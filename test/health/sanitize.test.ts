import Fastify, { type FastifyInstance } from 'fastify'
import { type HealthDocument, keelHealth } from 'fastify-keel/health'
import { afterEach, describe, expect, it } from 'vitest'
import { redactSecrets, sanitizeOutput } from '../../src/health/sanitize.js'

const apps: FastifyInstance[] = []

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** The output a probe shows with `details: true`, the only way a message reaches it. */
async function outputOf(error: unknown): Promise<{ output: string; body: string }> {
  const app = Fastify()
  apps.push(app)
  await app.register(keelHealth, { underPressure: false, details: true })
  app.health.addCheck('database', async () => {
    throw error
  })
  const res = await app.inject('/health/ready')
  const output = (res.json() as HealthDocument).checks?.database?.[0]?.output ?? ''
  return { output, body: res.body }
}

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNlY3JldA'

// Inputs on which a backtracking pattern that rescans each run from every position goes quadratic
// (seconds at this length; a linear pattern takes about a millisecond).
const adversarial = [
  'b'.repeat(20_000),
  'a:'.repeat(10_000),
  ':a'.repeat(10_000),
  'a.'.repeat(10_000),
  'a:b@'.repeat(5_000),
  'password'.repeat(2_500),
  'auth'.repeat(5_000),
  'password '.repeat(2_500),
  'bearer '.repeat(3_000),
  'eyJ'.repeat(7_000),
  'eyJ.'.repeat(5_000),
  'token="\\'.repeat(2_500),
  '-'.repeat(20_000),
]

describe('health', () => {
  describe('output sanitising', () => {
    it.each<[string, string, string[], string]>([
      [
        'a connection string, key=value, user:password@host and a stack',
        'connect ECONNREFUSED postgres://user:pass@host/db password=hunter2 admin:s3cret@db.internal:5432\n    at Socket.connect (node:net:1:1)',
        ['postgres://', 'user:pass', 'hunter2', 's3cret', 'at Socket', 'node:net'],
        'connect ECONNREFUSED',
      ],
      ['a JSON config dump', 'bad config {"password":"hunter2","user":"app"}', ['hunter2'], 'bad config {"password":'],
      ['a JSON value with an escaped quote', 'bad config {"db_password": "hun\\"ter2"}', ['hun', 'ter2'], 'bad config'],
      ['a prefixed environment variable', 'PGPASSWORD=hunter2 psql failed', ['hunter2'], 'PGPASSWORD='],
      [
        'a quoted value after whitespace',
        "login failed with password 'hunter2'",
        ['hunter2'],
        'login failed with password',
      ],
      [
        'an Authorization header',
        `request failed: Authorization: Bearer ${jwt}`,
        [jwt, 'eyJ', 'c2ln'],
        'request failed',
      ],
      ['a bare bearer token', 'upstream rejected Bearer abc.def-123', ['abc.def-123'], 'upstream rejected Bearer'],
      ['a bare JWT', `jwt malformed: ${jwt}`, ['eyJ', 'c2ln'], 'jwt malformed'],
      ['a quoted key with a space', "config {'client_secret': 'hunter2'}", ['hunter2'], 'config'],
      ['an api key header', 'x-api-key: hunter2; retry later', ['hunter2'], 'retry later'],
      [
        'a URL in a key=value pair',
        'DATABASE_URL=postgres://app:hunter2@db/app unreachable',
        ['hunter2', 'app:'],
        'unreachable',
      ],
    ])('should not leak %s', async (_label, message, secrets, kept) => {
      const { output, body } = await outputOf(new Error(message))
      expect(output).toContain(kept)
      for (const secret of secrets) expect(body).not.toContain(secret)
    })

    it.each([
      ['password authentication failed for user "app"'],
      ['connect ECONNREFUSED 10.0.0.7:6379'],
      ['timed out after 50 ms'],
    ])('should keep a message without secrets as is: %s', (message) => {
      expect(sanitizeOutput(new Error(message))).toBe(message)
    })

    it('should sanitise a 50,000-character message in well under 100 ms', () => {
      for (const message of ['b'.repeat(50_000), 'x'.repeat(50_000), `${'a:'.repeat(25_000)}@`]) {
        const started = performance.now()
        const output = sanitizeOutput(new Error(message))
        expect(performance.now() - started).toBeLessThan(100)
        expect(output.length).toBeLessThanOrEqual(200)
      }
    })

    it.each(adversarial.map((text) => [text.slice(0, 12), text]))(
      'should redact in linear time, without the length limit, on %j…',
      (_label, text) => {
        const started = performance.now()
        redactSecrets(text)
        expect(performance.now() - started).toBeLessThan(100)
      },
    )

    it('should not keep a word cut by the scan limit, even when redaction brings it under 200 characters', () => {
      // Nine 100-character URLs shrink to "[redacted url]"; the 1000-character limit cuts the credentials before their "@".
      const message = `${`http://h/${'y'.repeat(91)} `.repeat(9)}admin:${'s3cret'.repeat(20)}@db.internal`
      expect(message.indexOf('@')).toBeGreaterThan(1000)
      const output = sanitizeOutput(message)
      expect(output).toBe(Array(9).fill('[redacted url]').join(' '))
    })

    it('should keep the probe responsive when a check throws a huge message', async () => {
      const started = performance.now()
      const { output } = await outputOf(new Error('b'.repeat(50_000)))
      expect(performance.now() - started).toBeLessThan(500)
      expect(output.length).toBeLessThanOrEqual(200)
    })

    it('should report a non-string message as check failed', () => {
      const error = new Error('x')
      Object.defineProperty(error, 'message', { value: { password: 'hunter2' } })
      expect(sanitizeOutput(error)).toBe('check failed')
    })
  })
})
