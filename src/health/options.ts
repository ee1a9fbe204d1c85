import type { FastifyReply, FastifyRequest } from 'fastify'
import { optionsReader } from '../internal/options.js'

/**
 * Load-shedding limits, passed to `@fastify/under-pressure`. A limit of `0` turns that measurement off. Durations
 * are milliseconds or a string such as `'500ms'`, `'10s'`.
 * @see docs/health.md
 */
export interface KeelHealthUnderPressureOptions {
  /** Mean event loop delay over one sample above which requests are shed (a duration). @default 1000 */
  maxEventLoopDelay?: number | string
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
  /**
   * How long a shed client should wait (a duration of at least 1 s), sent in whole seconds as `Retry-After`.
   * @default '10s'
   */
  retryAfter?: number | string
  /**
   * How often the process is sampled (a duration of at least 50 ms); requests only compare numbers. The delay
   * histogram ticks every 10 ms, and an interval with no tick reads as an infinite delay.
   * @default 1000
   */
  sampleInterval?: number | string
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
 * Options of {@link keelHealth}. Durations are milliseconds or a string such as `'2s'`, `'5 seconds'`.
 * @see docs/health.md
 */
export interface KeelHealthOptions {
  /** Path prefix of the probes (`<prefix>/live`, `<prefix>/ready`). @default '/health' */
  prefix?: string
  /** Version reported in the health documents (e.g. your package version or git sha). @default undefined (omitted) */
  version?: string
  /** Load-shedding limits (`@fastify/under-pressure`), or `false` to not register it. @default {} (event loop delay 1000 ms) */
  underPressure?: false | KeelHealthUnderPressureOptions
  /** Default timeout of one readiness check. @default 2000 */
  checkTimeout?: number | string
  /** How long a readiness result is reused; `0` runs the checks on every probe (concurrent probes still share one run). @default 1000 */
  cacheTtl?: number | string
  /** How long readiness reports `fail` before the server stops accepting connections. Set ~5000 under Kubernetes. @default 0 */
  shutdownDelay?: number | string
  /** Install SIGTERM and SIGINT handlers that run `app.health.shutdown()`. @default false */
  handleSignals?: boolean
  /**
   * Put each failing check's scrubbed error message in the readiness document. Off, the unauthenticated probe says
   * only which check failed and why in generic words (`failed`, `timed out`); the log always has the detail.
   * @default false
   */
  details?: boolean
}

/** The validated, frozen load-shedding configuration. */
export interface ResolvedUnderPressure {
  readonly maxEventLoopDelay: number
  readonly maxEventLoopUtilization: number
  readonly maxHeapUsedBytes: number
  readonly maxRssBytes: number
  /** Whole seconds, as under-pressure and the `Retry-After` header take it. */
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
  readonly details: boolean
}

/** The validators and error constructor of this plugin. */
export const read = optionsReader('health', 'KEEL_ERR_HEALTH_INVALID_OPTION')

const KNOWN = [
  'prefix',
  'version',
  'underPressure',
  'checkTimeout',
  'cacheTtl',
  'shutdownDelay',
  'handleSignals',
  'details',
]
const UNDER_PRESSURE_KNOWN = [
  'maxEventLoopDelay',
  'maxEventLoopUtilization',
  'maxHeapUsedBytes',
  'maxRssBytes',
  'retryAfter',
  'sampleInterval',
  'pressureHandler',
]
/** under-pressure options keel replaces with its own: why each is refused. */
const UNDER_PRESSURE_REPLACED: Readonly<Record<string, string>> = {
  exposeStatusRoute: 'keel serves <prefix>/live and <prefix>/ready instead',
  healthCheck: 'use app.health.addCheck() instead',
  healthCheckInterval: 'use app.health.addCheck() and cacheTtl instead',
  customError: 'keel sends an HttpError with code SERVICE_OVERLOADED',
  message: 'keel sends an HttpError with code SERVICE_OVERLOADED',
}
const PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/

function resolveUnderPressure(value: unknown): ResolvedUnderPressure | false {
  if (value === false) return false
  const path = 'underPressure'
  const fix = 'pass false or an object of under-pressure limits'
  if (value !== undefined && (typeof value !== 'object' || value === null))
    throw read.error(path, 'must be false or an object', value, fix)
  for (const key of Object.keys(value ?? {})) {
    const replaced = UNDER_PRESSURE_REPLACED[key]
    if (replaced !== undefined)
      throw read.error(`${path}.${key}`, 'is not supported', (value as Record<string, unknown>)[key], replaced)
  }
  const o = read.object(path, value, UNDER_PRESSURE_KNOWN, { fix })
  const retryAfter = read.duration(`${path}.retryAfter`, o.retryAfter, '10s', {
    min: 1000,
    max: 86_400_000,
    fix: "pass a duration from 1 s to 1 day, e.g. '10s' (a number is milliseconds)",
  })
  return Object.freeze({
    maxEventLoopDelay: read.duration(`${path}.maxEventLoopDelay`, o.maxEventLoopDelay, 1000, { min: 0 }),
    maxEventLoopUtilization: read.number(`${path}.maxEventLoopUtilization`, o.maxEventLoopUtilization, 0, { max: 1 }),
    maxHeapUsedBytes: read.number(`${path}.maxHeapUsedBytes`, o.maxHeapUsedBytes, 0),
    maxRssBytes: read.number(`${path}.maxRssBytes`, o.maxRssBytes, 0),
    retryAfter: Math.ceil(retryAfter / 1000),
    sampleInterval: read.duration(`${path}.sampleInterval`, o.sampleInterval, 1000, { min: 50 }),
    pressureHandler: read.func<KeelHealthUnderPressureOptions['pressureHandler']>(
      `${path}.pressureHandler`,
      o.pressureHandler,
    ),
  })
}

/** Validates the options of one registration once, at register time. Throws `KeelConfigError`. */
export function resolveHealthOptions(options: unknown): ResolvedHealthOptions {
  const o = read.root(options, KNOWN)
  return Object.freeze({
    prefix: read.string('prefix', o.prefix, '/health', {
      pattern: PREFIX,
      fix: 'use a path such as "/health" (starts with "/", no trailing "/")',
    }),
    version: read.optionalString('version', o.version),
    underPressure: resolveUnderPressure(o.underPressure),
    checkTimeout: read.duration('checkTimeout', o.checkTimeout, 2000),
    cacheTtl: read.duration('cacheTtl', o.cacheTtl, 1000, { min: 0 }),
    shutdownDelay: read.duration('shutdownDelay', o.shutdownDelay, 0, { min: 0 }),
    handleSignals: read.boolean('handleSignals', o.handleSignals, false),
    details: read.boolean('details', o.details, false),
  })
}
