import Fastify from 'fastify'
import {
  type HealthCheck,
  type HealthDocument,
  type KeelHealth,
  type KeelHealthOptions,
  keelHealth,
} from 'fastify-keel/health'
import { expectTypeOf } from 'vitest'

const app = Fastify()
await app.register(keelHealth, { prefix: '/_health', version: '1.0.0', shutdownDelay: 5000, handleSignals: true })
await app.register(keelHealth, { underPressure: false })
await app.register(keelHealth, { underPressure: { maxEventLoopDelay: 500, retryAfter: '5s' } })

expectTypeOf(app.health).toEqualTypeOf<KeelHealth>()
expectTypeOf(app.health.shuttingDown).toEqualTypeOf<boolean>()
expectTypeOf(app.health.shutdown()).toEqualTypeOf<Promise<void>>()

app.health.addCheck('database', async () => {})
app.health.addCheck('cache', async () => ({ observedValue: 3, observedUnit: 'ms' }), { critical: false })
app.health.addCheck('sync', () => undefined, { timeout: 100, onClose: () => undefined })
app.health.addCheck('signal', async ({ signal }) => {
  expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
})
app.health.addCheck('warn', () => ({ status: 'warn' }))

const check: HealthCheck = async () => {}
app.health.addCheck('typed', check)

app.health.addCheck('fail', () => ({ status: 'fail', output: 'disk full' }))

// @ts-expect-error a check's status is pass, warn or fail
app.health.addCheck('bad-status', () => ({ status: 'down' }))
// @ts-expect-error observedValue is a number, a string or a boolean
app.health.addCheck('bad-observed', () => ({ observedValue: 10n }))
// @ts-expect-error critical is a boolean
app.health.addCheck('bad-critical', check, { critical: 'yes' })
// durations are milliseconds or a string
app.health.addCheck('string-timeout', check, { timeout: '1s' })
// @ts-expect-error timeout is a duration, not a boolean
app.health.addCheck('bad-timeout', check, { timeout: true })
// @ts-expect-error the check is required
app.health.addCheck('missing')

// @ts-expect-error underPressure is false or an object
const badUnderPressure: KeelHealthOptions = { underPressure: true }
const durations: KeelHealthOptions = { cacheTtl: '1s', checkTimeout: 2000, shutdownDelay: '5 seconds', details: true }
// @ts-expect-error cacheTtl is a duration: milliseconds or a string
const badCacheTtl: KeelHealthOptions = { cacheTtl: { ms: 1 } }

// A route's own answer to pressure (docs/health.md, "Degrade instead of shedding")
app.get(
  '/search',
  { config: { pressureHandler: (_request, reply) => void reply.header('x-degraded', '1') } },
  () => 'ok',
)
// @ts-expect-error a pressureHandler is a function
app.get('/bad-pressure-handler', { config: { pressureHandler: true } }, () => 'ok')

const doc: HealthDocument = { status: 'pass', checks: { db: [{ status: 'pass', time: new Date().toISOString() }] } }
expectTypeOf(doc.status).toEqualTypeOf<'pass' | 'warn' | 'fail'>()

export { badCacheTtl, badUnderPressure, durations }
