import type { FastifyReply, FastifyRequest } from 'fastify'
import { describeValue, KeelConfigError } from '../internal/config-error.js'

/**
 * Load-shedding limits, passed to `@fastify/under-pressure`. A limit of `0` turns that measurement off.
 * @see docs/health.md
 */
export interface KeelHealthUnderPressureOptions {
  /** Mean event loop delay (ms) over one sample above which requests are shed. @default 1000 */
  maxEventLoopDelay?: number
  /**
   * Event loop utilisation (0..1, measured per sample interval) above which requests are shed. Off by default:
   * a saturated but responsive server (e.g. under a benchmark) sits near 1.
   * @default 0
   */
  maxEventLoopUtilization?: number
  /** `process.memoryUsage().heapUsed` (bytes) above which requests are shed. Depends on your container. @default 0 */
  maxHeapUsedBytes?: number
  /** Resident set size (bytes) above which requests are shed. Depends on your container. @default 0 */
  maxRssBytes?: number
  /** Seconds sent in `Retry-After` with a shed request. @default 10 */
  retryAfter?: number
  /**
   * How often (ms) the process is sampled; requests only compare numbers. At least 50: the delay histogram ticks every
   * 10 ms, and an interval with no tick reads as an infinite delay.
   * @default 1000
   */
  sampleInterval?: number
  /**
   * Called instead of shedding for routes under pressure (as in `@fastify/under-pressure`): return nothing to let
   * the request through, or send a reply yourself. Per route: `config: { pressureHandler }`.
   * @default undefined (shed with a 503 `SERVICE_OVERLOADED`)
   */
  pressureHandler?: (
    request: FastifyRequest,
    reply: FastifyReply,
    type: string,
    value: number | undefined,
  ) => Promise<void> | void
}

/**
 * Options of {@link keelHealth}.
 * @see docs/health.md
 */
export interface KeelHealthOptions {
  /** Path prefix of the probes (`<prefix>/live`, `<prefix>/ready`). @default '/health' */
  prefix?: string
  /** Version reported in the health documents (e.g. your package version or git sha). @default undefined (omitted) */
  version?: string
  /** Load-shedding limits (`@fastify/under-pressure`), or `false` to not register it. @default {} (event loop delay 1000 ms) */
  underPressure?: false | KeelHealthUnderPressureOptions
  /** Default timeout (ms) of one readiness check. @default 2000 */
  checkTimeout?: number
  /** How long (ms) a readiness result is reused; `0` runs the checks on every probe (concurrent probes still share one run). @default 1000 */
  cacheTtl?: number
  /** How long (ms) readiness reports `fail` before the server stops accepting connections. Set ~5000 under Kubernetes. @default 0 */
  shutdownDelay?: number
  /** Install SIGTERM and SIGINT handlers that run `app.health.shutdown()`. @default false */
  handleSignals?: boolean
}

/** The validated, frozen load-shedding configuration. */
export interface ResolvedUnderPressure {
  readonly maxEventLoopDelay: number
  readonly maxEventLoopUtilization: number
  readonly maxHeapUsedBytes: number
  readonly maxRssBytes: number
  readonly retryAfter: number
  readonly sampleInterval: number
  readonly pressureHandler: KeelHealthUnderPressureOptions['pressureHandler']
}

/** The validated, frozen configuration of one registration. */
export interface ResolvedHealthOptions {
  readonly prefix: string
  readonly version: string | undefined
  readonly underPressure: ResolvedUnderPressure | false
  readonly checkTimeout: number
  readonly cacheTtl: number
  readonly shutdownDelay: number
  readonly handleSignals: boolean
}

// setTimeout clamps larger values to 1 ms, which would turn a long timeout into none.
const MAX_TIMER = 2 ** 31 - 1

const topLevelKeys = new Set([
  'prefix',
  'version',
  'underPressure',
  'checkTimeout',
  'cacheTtl',
  'shutdownDelay',
  'handleSignals',
  // register options Fastify itself reads
  'logLevel',
  'logSerializers',
])

const underPressureKeys = new Set([
  'maxEventLoopDelay',
  'maxEventLoopUtilization',
  'maxHeapUsedBytes',
  'maxRssBytes',
  'retryAfter',
  'sampleInterval',
  'pressureHandler',
])

const underPressureHints: Record<string, string> = {
  exposeStatusRoute: 'keel serves `<prefix>/live` and `<prefix>/ready` instead',
  healthCheck: 'use `app.health.addCheck()` instead',
  healthCheckInterval: 'use `app.health.addCheck()` and `cacheTtl` instead',
  customError: 'keel sends an HttpError with code SERVICE_OVERLOADED',
  message: 'keel sends an HttpError with code SERVICE_OVERLOADED',
}

function invalid(option: string, expected: string, value: unknown): KeelConfigError {
  return new KeelConfigError(
    'KEEL_ERR_HEALTH_INVALID_OPTION',
    `keelHealth option "${option}" must be ${expected}, got ${describeValue(value)}`,
  )
}

function integer(option: string, value: unknown, fallback: number, min: number, max = MAX_TIMER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `an integer from ${min} to ${max}`, value)
  }
  return value
}

function limit(option: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw invalid(option, `a number from 0 to ${max} (0 turns it off)`, value)
  }
  return value
}

function resolveUnderPressure(value: unknown): ResolvedUnderPressure | false {
  if (value === false) return false
  if (value === undefined) value = {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('underPressure', 'false or an object', value)
  }
  const opts = value as Record<string, unknown>
  for (const key of Object.keys(opts)) {
    if (underPressureKeys.has(key)) continue
    const hint = underPressureHints[key]
    throw new KeelConfigError(
      'KEEL_ERR_HEALTH_INVALID_OPTION',
      `keelHealth option "underPressure.${key}" is not supported${hint === undefined ? '' : `: ${hint}`}`,
    )
  }
  const pressureHandler = opts.pressureHandler
  if (pressureHandler !== undefined && typeof pressureHandler !== 'function') {
    throw invalid('underPressure.pressureHandler', 'a function', pressureHandler)
  }
  return Object.freeze({
    maxEventLoopDelay: limit('underPressure.maxEventLoopDelay', opts.maxEventLoopDelay, 1000),
    maxEventLoopUtilization: limit('underPressure.maxEventLoopUtilization', opts.maxEventLoopUtilization, 0, 1),
    maxHeapUsedBytes: limit('underPressure.maxHeapUsedBytes', opts.maxHeapUsedBytes, 0),
    maxRssBytes: limit('underPressure.maxRssBytes', opts.maxRssBytes, 0),
    retryAfter: integer('underPressure.retryAfter', opts.retryAfter, 10, 1, 86_400),
    sampleInterval: integer('underPressure.sampleInterval', opts.sampleInterval, 1000, 50),
    pressureHandler: pressureHandler as KeelHealthUnderPressureOptions['pressureHandler'],
  })
}

/** Validates the options of one registration once, at register time. Throws `KeelConfigError`. */
export function resolveHealthOptions(options: KeelHealthOptions | undefined): ResolvedHealthOptions {
  const opts = (options ?? {}) as Record<string, unknown>
  for (const key of Object.keys(opts)) {
    if (!topLevelKeys.has(key)) {
      throw new KeelConfigError('KEEL_ERR_HEALTH_INVALID_OPTION', `keelHealth option "${key}" is unknown`)
    }
  }
  const prefix = opts.prefix ?? '/health'
  if (typeof prefix !== 'string' || !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
    throw invalid('prefix', 'a path such as "/health" (starts with "/", no trailing "/")', prefix)
  }
  const version = opts.version
  if (version !== undefined && (typeof version !== 'string' || version === '')) {
    throw invalid('version', 'a non-empty string', version)
  }
  const handleSignals = opts.handleSignals ?? false
  if (typeof handleSignals !== 'boolean') throw invalid('handleSignals', 'a boolean', handleSignals)
  return Object.freeze({
    prefix,
    version,
    underPressure: resolveUnderPressure(opts.underPressure),
    checkTimeout: integer('checkTimeout', opts.checkTimeout, 2000, 1),
    cacheTtl: integer('cacheTtl', opts.cacheTtl, 1000, 0),
    shutdownDelay: integer('shutdownDelay', opts.shutdownDelay, 0, 0),
    handleSignals,
  })
}

/** Validates a check timeout given to `addCheck`. */
export function isTimerValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TIMER
}
