import underPressure from '@fastify/under-pressure'
import type {
  FastifyBaseLogger,
  FastifyContextConfig,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  LogLevel,
} from 'fastify'
import fp from 'fastify-plugin'
import { HttpError } from '../errors/index.js'
import { KeelConfigError } from '../internal/config-error.js'
import { TEMPORARY_REDUCED_CAPACITY_TYPE } from '../internal/problem-types.js'
import {
  type HealthCheck,
  type HealthCheckEntry,
  type HealthCheckOptions,
  type HealthDocument,
  Readiness,
} from './checks.js'
import { type KeelHealthOptions, type ResolvedHealthOptions, resolveHealthOptions } from './options.js'
import { HEALTH_JSON, liveRouteSchema, readyRouteSchema } from './schemas.js'

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
   * `shutdownDelay` ms, then `app.close()` stops accepting and waits for in-flight requests.
   */
  shutdown(): Promise<void>
  /** True from the start of a shutdown (`shutdown()`, a handled signal or `app.close()`). */
  readonly shuttingDown: boolean
}

/** Names under-pressure gives each measurement → the `checks` key and unit in a health document. */
const pressureComponents: Record<string, readonly [string, string | undefined]> = {
  eventLoopDelay: ['eventLoop:delay', 'ms'],
  eventLoopUtilization: ['eventLoop:utilization', 'ratio'],
  heapUsedBytes: ['memory:heapUsed', 'bytes'],
  rssBytes: ['memory:rss', 'bytes'],
}

type PressureHandler = (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => void

interface Pressure {
  readonly type: string
  readonly value: number | undefined
}

function overloadedErrorClass(retryAfter: number) {
  const options = {
    code: 'SERVICE_OVERLOADED',
    type: TEMPORARY_REDUCED_CAPACITY_TYPE,
    expose: true,
    headers: { 'retry-after': String(retryAfter) },
    extensions: { retryAfter },
  }
  // under-pressure builds one instance at register time and reuses it for every shed request.
  return class ServiceOverloadedError extends HttpError {
    constructor() {
      super(503, 'The service is overloaded; retry later', options)
    }
  }
}

function delay(ms: number): Promise<void> {
  if (ms === 0) return Promise.resolve()
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

/**
 * Probes log like debug lines: a route's `logLevel` is a minimum, so `'debug'` would add lines to an `info` app.
 * Keep the app's level when it already shows debug lines; otherwise `warn` drops the two info lines per probe.
 */
function probeLogLevel(log: FastifyBaseLogger): LogLevel {
  const values = (log as { levels?: { values?: Record<string, number> } }).levels?.values
  const current = values?.[log.level]
  const debug = values?.debug
  return current !== undefined && debug !== undefined && current <= debug ? (log.level as LogLevel) : 'warn'
}

/**
 * `server.close()` closes idle keep-alive connections once; a connection whose request is still in flight becomes
 * idle later and would hold `close()` open until the client hangs up or `keepAliveTimeout` (72 s) passes. So while
 * the server drains, idle connections are closed every 50 ms.
 */
function reapIdleConnections(app: FastifyInstance): void {
  const server = app.server
  if (!server.listening || typeof server.closeIdleConnections !== 'function') return
  const timer = setInterval(() => server.closeIdleConnections(), 50).unref()
  server.once('close', () => clearInterval(timer))
}

function setHealthHeaders(reply: FastifyReply): void {
  reply.header('content-type', HEALTH_JSON).header('cache-control', 'no-store')
}

function registerUnderPressure(app: FastifyInstance, config: ResolvedHealthOptions) {
  const limits = config.underPressure
  if (limits === false) return undefined
  if (app.hasDecorator('isUnderPressure')) {
    throw new KeelConfigError(
      'KEEL_ERR_HEALTH_UNDER_PRESSURE_CONFLICT',
      'keelHealth registers @fastify/under-pressure itself: pass its limits as the "underPressure" option, or set "underPressure: false" to keep your own registration',
    )
  }
  return app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelay,
    maxEventLoopUtilization: limits.maxEventLoopUtilization,
    eventLoopUtilizationMode: 'interval',
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    maxRssBytes: limits.maxRssBytes,
    retryAfter: limits.retryAfter,
    sampleInterval: limits.sampleInterval,
    customError: overloadedErrorClass(limits.retryAfter),
    ...(limits.pressureHandler === undefined ? {} : { pressureHandler: limits.pressureHandler }),
    exposeStatusRoute: false,
  })
}

const plugin: FastifyPluginAsync<KeelHealthOptions> = async (app, opts) => {
  const config = resolveHealthOptions(opts)
  if (app.hasDecorator('health')) {
    throw new KeelConfigError(
      'KEEL_ERR_HEALTH_ALREADY_REGISTERED',
      'keelHealth is already registered in this context (app.health exists); register it once',
    )
  }
  await registerUnderPressure(app, config)

  const readiness = new Readiness({
    checkTimeout: config.checkTimeout,
    cacheTtl: config.cacheTtl,
    version: config.version,
    log: app.log,
  })

  let shuttingDown = false
  let drained: Promise<void> | undefined
  let shutdownRun: Promise<void> | undefined
  function beginShutdown(): Promise<void> {
    if (!shuttingDown) {
      shuttingDown = true
      readiness.invalidate()
      app.log.info({ shutdownDelay: config.shutdownDelay }, 'health: shutting down, readiness now fails')
    }
    drained ??= delay(config.shutdownDelay)
    return drained
  }

  const health: KeelHealth = {
    addCheck(name, check, options) {
      readiness.add(name, check, options)
    },
    shutdown() {
      shutdownRun ??= beginShutdown().then(() => app.close())
      return shutdownRun
    },
    get shuttingDown() {
      return shuttingDown
    },
  }
  app.decorate('health', health)

  // Fastify marks itself closing before preClose, so with `return503OnClosing` (default) core answers every new
  // request 503 during this wait; `shutdown()` waits before calling close() and keeps serving instead.
  app.addHook('preClose', async () => {
    await beginShutdown()
    reapIdleConnections(app)
  })
  app.addHook('onClose', async () => {
    removeSignalHandlers()
    await readiness.close()
  })

  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal gets Node's default (exit at once) since ours are gone.
    removeSignalHandlers()
    app.log.info({ signal }, 'health: signal received, starting graceful shutdown')
    health.shutdown().catch((err: unknown) => {
      process.exitCode = 1
      app.log.error({ err }, 'health: graceful shutdown failed')
    })
  }
  let signalsInstalled = false
  function removeSignalHandlers(): void {
    if (!signalsInstalled) return
    signalsInstalled = false
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
  }
  if (config.handleSignals) {
    app.addHook('onReady', async () => {
      if (signalsInstalled || shuttingDown) return
      signalsInstalled = true
      process.on('SIGTERM', onSignal)
      process.on('SIGINT', onSignal)
    })
  }

  // Health routes are not shed by under-pressure: its per-route handler only records the pressure, and the probe
  // answers with a health document instead.
  const pressured = new WeakMap<FastifyRequest, Pressure>()
  // `rateLimit: false` keeps the probes unlimited: the signal keelSecurity and @fastify/rate-limit both read.
  const routeConfig: FastifyContextConfig & { rateLimit: false; pressureHandler: PressureHandler } = {
    rateLimit: false,
    pressureHandler(request: FastifyRequest, _reply: FastifyReply, type: string, value: number | undefined) {
      pressured.set(request, { type, value })
    },
  }
  const retryAfter = config.underPressure === false ? undefined : String(config.underPressure.retryAfter)

  const versioned = (document: HealthDocument): HealthDocument =>
    config.version === undefined ? document : { ...document, version: config.version }
  const liveDocument = versioned({ status: 'pass' })
  const shuttingDownDocument = versioned({ status: 'fail', output: 'shutting down' })

  function pressureDocument(pressure: Pressure): HealthDocument {
    const [component, unit] = pressureComponents[pressure.type] ?? [`underPressure:${pressure.type}`, undefined]
    const entry: HealthCheckEntry = { status: 'fail', time: new Date().toISOString() }
    if (pressure.value !== undefined) entry.observedValue = pressure.value
    if (unit !== undefined) entry.observedUnit = unit
    return versioned({ status: 'fail', output: `over the ${pressure.type} limit`, checks: { [component]: [entry] } })
  }

  async function live(request: FastifyRequest, reply: FastifyReply): Promise<HealthDocument> {
    setHealthHeaders(reply)
    const pressure = pressured.get(request)
    if (pressure === undefined) return liveDocument
    reply.code(503)
    return pressureDocument(pressure)
  }

  async function ready(request: FastifyRequest, reply: FastifyReply): Promise<HealthDocument> {
    setHealthHeaders(reply)
    if (shuttingDown) {
      reply.code(503)
      return shuttingDownDocument
    }
    const pressure = pressured.get(request)
    if (pressure !== undefined) {
      reply.code(503)
      if (retryAfter !== undefined) reply.header('retry-after', retryAfter)
      return pressureDocument(pressure)
    }
    const result = await readiness.get()
    // The checks may have outlived the start of a shutdown.
    if (shuttingDown) {
      reply.code(503)
      return shuttingDownDocument
    }
    reply.code(result.statusCode)
    return result.document
  }

  const logLevel = probeLogLevel(app.log)
  await app.register(async function keelHealthRoutes(routes) {
    routes.route({
      method: 'GET',
      url: `${config.prefix}/live`,
      logLevel,
      config: routeConfig,
      schema: liveRouteSchema,
      handler: live,
    })
    routes.route({
      method: 'GET',
      url: `${config.prefix}/ready`,
      logLevel,
      config: routeConfig,
      schema: readyRouteSchema,
      handler: ready,
    })
  })
}

/**
 * Liveness and readiness probes (`application/health+json`), dependency checks with timeouts and caching,
 * load shedding through `@fastify/under-pressure`, and a graceful shutdown that fails readiness first.
 *
 * @example
 * await app.register(keelHealth, { version: '1.4.0', shutdownDelay: 5000, handleSignals: true })
 * app.health.addCheck('database', async () => { await pool.query('select 1') }, { timeout: 1000 })
 * @see docs/health.md
 */
export const keelHealth = fp(plugin, { name: 'fastify-keel-health', fastify: '5.x' })
export default keelHealth
