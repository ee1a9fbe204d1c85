// The two probes, in a child context of their own: `<prefix>/live` and `<prefix>/ready`.
import type {
  FastifyBaseLogger,
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  LogLevel,
} from 'fastify'
import type { HealthCheckEntry, HealthDocument, Readiness } from './checks.js'
import type { ResolvedHealthOptions } from './options.js'
import { HEALTH_JSON, liveRouteSchema, readyRouteSchema } from './schemas.js'
import type { Shutdown } from './shutdown.js'

/** Names under-pressure gives each measurement → the `checks` key and unit in a health document. */
const pressureComponents: Readonly<Record<string, readonly [string, string | undefined]>> = {
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

/** Per-request state of a probe: the pressure under-pressure reported instead of shedding it. */
const kPressure = Symbol('fastify-keel.health.pressure')
type ProbeRequest = FastifyRequest & { [kPressure]: Pressure | null }

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

function setHealthHeaders(reply: FastifyReply): void {
  reply.header('content-type', HEALTH_JSON).header('cache-control', 'no-store')
}

/** Registers the probes; they answer from `readiness` and `shutdown`, never shed by under-pressure. */
export async function registerProbes(
  app: FastifyInstance,
  config: ResolvedHealthOptions,
  readiness: Readiness,
  shutdown: Shutdown,
): Promise<void> {
  const versioned = (document: HealthDocument): HealthDocument =>
    config.version === undefined ? document : { ...document, version: config.version }
  const liveDocument = versioned({ status: 'pass' })
  const shuttingDownDocument = versioned({ status: 'fail', output: 'shutting down' })
  const retryAfter = config.underPressure === false ? undefined : String(config.underPressure.retryAfter)

  function pressureDocument(pressure: Pressure): HealthDocument {
    const [component, unit] = pressureComponents[pressure.type] ?? [`underPressure:${pressure.type}`, undefined]
    const entry: HealthCheckEntry = { status: 'fail', time: new Date().toISOString() }
    if (pressure.value !== undefined) entry.observedValue = pressure.value
    if (unit !== undefined) entry.observedUnit = unit
    return versioned({ status: 'fail', output: `over the ${pressure.type} limit`, checks: { [component]: [entry] } })
  }

  async function live(request: FastifyRequest, reply: FastifyReply): Promise<HealthDocument> {
    setHealthHeaders(reply)
    const pressure = (request as ProbeRequest)[kPressure]
    if (pressure === null) return liveDocument
    reply.code(503)
    return pressureDocument(pressure)
  }

  function shuttingDownAnswer(reply: FastifyReply): HealthDocument {
    reply.code(503)
    return shuttingDownDocument
  }

  async function ready(request: FastifyRequest, reply: FastifyReply): Promise<HealthDocument> {
    setHealthHeaders(reply)
    if (shutdown.shuttingDown) return shuttingDownAnswer(reply)
    const pressure = (request as ProbeRequest)[kPressure]
    if (pressure !== null) {
      reply.code(503)
      if (retryAfter !== undefined) reply.header('retry-after', retryAfter)
      return pressureDocument(pressure)
    }
    const result = await readiness.get()
    // The checks may have outlived the start of a shutdown.
    if (shutdown.shuttingDown) return shuttingDownAnswer(reply)
    reply.code(result.statusCode)
    return result.document
  }

  // Health routes are not shed by under-pressure: its per-route handler only records the pressure, and the probe
  // answers with a health document instead.
  // `rateLimit: false` keeps the probes unlimited: the signal keelSecurity and @fastify/rate-limit both read.
  const routeConfig: FastifyContextConfig & { rateLimit: false; pressureHandler: PressureHandler } = {
    rateLimit: false,
    pressureHandler(request: FastifyRequest, _reply: FastifyReply, type: string, value: number | undefined) {
      ;(request as ProbeRequest)[kPressure] = { type, value }
    },
  }
  const logLevel = probeLogLevel(app.log)
  await app.register(async function keelHealthRoutes(routes) {
    routes.decorateRequest(kPressure as unknown as string, null)
    const probe = { method: 'GET' as const, logLevel, config: routeConfig }
    routes.route({ ...probe, url: `${config.prefix}/live`, schema: liveRouteSchema, handler: live })
    routes.route({ ...probe, url: `${config.prefix}/ready`, schema: readyRouteSchema, handler: ready })
  })
}
