import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { type HealthCheck, type HealthCheckOptions, Readiness } from './checks.js'
import type { KeelHealthPolicy } from './health-policy.js'
import { type KeelHealthOptions, type ResolvedHealthOptions, read, resolveHealthOptions } from './options.js'
import { registerProbes } from './routes.js'
import { createShutdown } from './shutdown.js'
import { registerUnderPressure } from './under-pressure.js'

/**
 * The `app.health` decorator.
 * @see docs/health.md
 */
export interface KeelHealth {
  /**
   * Registers a readiness check. Checks run in parallel on a readiness probe, each bounded by its timeout. Allowed
   * after `ready()`: the next probe runs it.
   *
   * @example
   * app.health.addCheck('database', async () => { await pool.query('select 1') }, { critical: true, timeout: 1000 })
   * app.health.addCheck('cache', async () => ({ observedValue: 3, observedUnit: 'ms' }), { critical: false })
   */
  addCheck(name: string, check: HealthCheck, options?: HealthCheckOptions): void
  /**
   * Graceful shutdown for your own signal handling: readiness fails at once while the server keeps serving for
   * `shutdownDelay`, then `app.close()` stops accepting and waits for in-flight requests.
   */
  shutdown(): Promise<void>
  /** True from the start of a shutdown (`shutdown()`, a handled signal or `app.close()`). */
  readonly shuttingDown: boolean
}

const plugin: FastifyPluginAsync<KeelHealthOptions> = async (app, opts) => {
  const config = resolveHealthOptions(opts)
  if (app.hasDecorator('health') || app.hasDecorator('healthPolicy')) {
    throw read.misuse(
      'KEEL_ERR_HEALTH_ALREADY_REGISTERED',
      'keelHealth is already registered in this context (app.health exists)',
      'register it once',
    )
  }
  await registerUnderPressure(app, config)
  const readiness = new Readiness({ ...config, log: app.log })
  const shutdown = createShutdown(app, config, readiness)
  const health: KeelHealth = {
    addCheck(name, check, options) {
      readiness.add(name, check, options)
    },
    shutdown: () => shutdown.shutdown(),
    get shuttingDown() {
      return shutdown.shuttingDown
    },
  }
  app.decorate('health', health)
  app.decorate('healthPolicy', healthPolicyOf(config))
  app.addHook('onClose', async () => readiness.close())
  await registerProbes(app, config, readiness, shutdown)
}

function healthPolicyOf(config: ResolvedHealthOptions): KeelHealthPolicy {
  const probes = new Set([`${config.prefix}/live`, `${config.prefix}/ready`])
  const shedding = config.underPressure !== false
  return Object.freeze({
    shedding,
    retryAfter: config.underPressure === false ? undefined : config.underPressure.retryAfter,
    isProbe: (route: { url: string }) => probes.has(route.url),
  })
}

/**
 * Liveness and readiness probes (`application/health+json`), dependency checks with timeouts and caching,
 * load shedding through `@fastify/under-pressure`, and a graceful shutdown that fails readiness first.
 *
 * @example
 * await app.register(keelHealth, { version: '1.4.0', shutdownDelay: '5s', handleSignals: true })
 * app.health.addCheck('database', async () => { await pool.query('select 1') }, { timeout: 1000 })
 * @see docs/health.md
 */
export const keelHealth = fp(plugin, { name: 'fastify-keel-health', fastify: FASTIFY_VERSIONS })
export default keelHealth
