import type { FastifyBaseLogger } from 'fastify'
import { describeValue } from '../internal/config-error.js'
import { optionsReader } from '../internal/options.js'
import { sanitizeOutput } from './sanitize.js'

/** `pass`, `warn` or `fail`, as in the IETF "Health Check Response Format for HTTP APIs" draft. */
export type HealthStatus = 'pass' | 'warn' | 'fail'

/** What a check receives: a signal aborted when its timeout elapses, so it can cancel its own work. */
export interface HealthCheckContext {
  /** Aborted when the check's timeout elapses. */
  readonly signal: AbortSignal
}

/** What a check may return; returning nothing means `pass`. */
export interface HealthCheckResult {
  /**
   * `warn` reports a degraded dependency without failing; `fail` fails the check like throwing does. Any other value
   * fails the check with an `output` saying so.
   * @default 'pass'
   */
  status?: HealthStatus
  /** A measurement, e.g. a latency: a finite number, a string or a boolean (anything else is left out). */
  observedValue?: number | string | boolean
  /** The unit of `observedValue`, e.g. `ms`. */
  observedUnit?: string
  /** A short human-readable note (scrubbed like error messages). */
  output?: string
}

/**
 * A readiness check: resolve (or return) to pass, throw or reject (or return `{ status: 'fail' }`) to fail.
 * @example
 * app.health.addCheck('database', async () => { await pool.query('select 1') })
 */
export type HealthCheck = (context: HealthCheckContext) => HealthCheckReturn | Promise<HealthCheckReturn>

// biome-ignore lint/suspicious/noConfusingVoidType: `async () => { await db.query('select 1') }` returns Promise<void>
type HealthCheckReturn = HealthCheckResult | undefined | void

/** Options of one check given to `app.health.addCheck`. */
export interface HealthCheckOptions {
  /** A failing critical check makes readiness `fail` (503); a non-critical one only `warn` (200). @default true */
  critical?: boolean
  /** Timeout after which the check counts as failed (ms, or a string such as `'1s'`). @default the plugin's `checkTimeout` (2000) */
  timeout?: number | string
  /** Releases the check's own resources (e.g. `() => redis.quit()`); called in the app's `onClose`. @default undefined */
  onClose?: () => unknown
}

/** One entry of `checks` in a health document. */
export interface HealthCheckEntry {
  status: HealthStatus
  /** ISO 8601 time the result was observed. */
  time: string
  observedValue?: number | string | boolean
  observedUnit?: string
  /**
   * Why the check failed: `failed`, `timed out` or `returned an unknown status`; with the plugin's `details` option,
   * the scrubbed message (never a stack or a connection string).
   */
  output?: string
}

/** A health document (`application/health+json`). */
export interface HealthDocument {
  status: HealthStatus
  version?: string
  output?: string
  checks?: Record<string, HealthCheckEntry[]>
}

interface RegisteredCheck {
  readonly run: HealthCheck
  readonly critical: boolean
  readonly timeout: number
  readonly onClose: (() => unknown) | undefined
}

/** A computed readiness answer. */
export interface ReadinessResult {
  readonly statusCode: 200 | 503
  readonly document: HealthDocument
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/

const unknownStatusOutput = "check returned an unknown status (expected 'pass', 'warn' or 'fail')"
/** What an unauthenticated probe says about a failure without the `details` option. */
const GENERIC = Object.freeze({ failed: 'failed', timedOut: 'timed out' })

const read = optionsReader('health', 'KEEL_ERR_HEALTH_INVALID_CHECK')
const CHECK_OPTIONS = ['critical', 'timeout', 'onClose']

function isHealthStatus(value: unknown): value is HealthStatus {
  return value === 'pass' || value === 'warn' || value === 'fail'
}

function isObservedValue(value: unknown): value is number | string | boolean {
  return (
    (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string' || typeof value === 'boolean'
  )
}

class CheckTimeoutError extends Error {
  constructor(timeout: number) {
    super(`timed out after ${timeout} ms`)
    this.name = 'CheckTimeoutError'
  }
}

/** The registered checks of one app, with the cached readiness result. */
export class Readiness {
  readonly #checks = new Map<string, RegisteredCheck>()
  readonly #defaultTimeout: number
  readonly #cacheTtl: number
  readonly #version: string | undefined
  readonly #log: FastifyBaseLogger
  readonly #details: boolean
  #cached: { expires: number; result: ReadinessResult } | undefined
  #running: Promise<ReadinessResult> | undefined
  #generation = 0

  constructor(options: {
    checkTimeout: number
    cacheTtl: number
    version: string | undefined
    details: boolean
    log: FastifyBaseLogger
  }) {
    this.#defaultTimeout = options.checkTimeout
    this.#cacheTtl = options.cacheTtl
    this.#version = options.version
    this.#details = options.details
    this.#log = options.log
  }

  add(name: unknown, run: unknown, options: HealthCheckOptions | undefined): void {
    if (typeof name !== 'string' || !namePattern.test(name)) {
      throw read.misuse(
        'KEEL_ERR_HEALTH_INVALID_CHECK',
        `app.health.addCheck name must be 1-100 characters of letters, digits and _.:/- (starting with a letter or digit), got ${describeValue(name)}`,
        'name the check e.g. "database" or "cache:redis"',
      )
    }
    if (this.#checks.has(name)) {
      throw read.misuse(
        'KEEL_ERR_HEALTH_DUPLICATE_CHECK',
        `app.health.addCheck: a check named "${name}" exists`,
        'give each check its own name',
      )
    }
    if (typeof run !== 'function') {
      throw read.misuse(
        'KEEL_ERR_HEALTH_INVALID_CHECK',
        `app.health.addCheck("${name}") needs a function, got ${describeValue(run)}`,
        'pass an (async) function that throws when the dependency is down',
      )
    }
    const path = `addCheck('${name}')`
    const o = read.object(path, options, CHECK_OPTIONS)
    this.#checks.set(name, {
      run: run as HealthCheck,
      critical: read.boolean(`${path}.critical`, o.critical, true),
      timeout: read.duration(`${path}.timeout`, o.timeout, this.#defaultTimeout),
      onClose: read.func<() => unknown>(`${path}.onClose`, o.onClose),
    })
    this.invalidate()
  }

  /** Forgets the cached result, so the next probe runs the checks. */
  invalidate(): void {
    this.#generation++
    this.#cached = undefined
  }

  /** The readiness answer: cached for `cacheTtl`, and concurrent callers share one run of the checks. */
  get(): Promise<ReadinessResult> | ReadinessResult {
    const cached = this.#cached
    if (cached !== undefined && cached.expires > Date.now()) return cached.result
    if (this.#running !== undefined) return this.#running
    const generation = this.#generation
    const running = this.#runAll().then((result) => {
      this.#running = undefined
      // A check added meanwhile must take part in the next answer, so this one is not kept.
      if (generation === this.#generation && this.#cacheTtl > 0) {
        this.#cached = { expires: Date.now() + this.#cacheTtl, result }
      }
      return result
    })
    this.#running = running
    return running
  }

  /** Calls every check's `onClose`, logging (not throwing) failures. */
  async close(): Promise<void> {
    const closing: Promise<unknown>[] = []
    for (const [name, check] of this.#checks) {
      if (check.onClose === undefined) continue
      const onClose = check.onClose
      closing.push(
        Promise.resolve()
          .then(() => onClose())
          .catch((err: unknown) => this.#log.warn({ err, check: name }, 'health check onClose failed')),
      )
    }
    await Promise.all(closing)
  }

  async #runAll(): Promise<ReadinessResult> {
    const names = [...this.#checks.keys()]
    const checks = [...this.#checks.values()]
    const entries = await Promise.all(checks.map((check, i) => this.#runOne(names[i]!, check)))
    let status: HealthStatus = 'pass'
    const documentChecks: Record<string, HealthCheckEntry[]> = {}
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      documentChecks[names[i]!] = [entry]
      if (entry.status === 'fail' && checks[i]!.critical) status = 'fail'
      else if (entry.status !== 'pass' && status === 'pass') status = 'warn'
    }
    const document: HealthDocument = { status }
    if (this.#version !== undefined) document.version = this.#version
    document.checks = documentChecks
    return { statusCode: status === 'fail' ? 503 : 200, document }
  }

  async #runOne(name: string, check: RegisteredCheck): Promise<HealthCheckEntry> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new CheckTimeoutError(check.timeout)
        controller.abort(error)
        reject(error)
      }, check.timeout)
      timer.unref()
    })
    try {
      // Promise.resolve().then: a check that throws synchronously fails like one that rejects.
      const result = await Promise.race([
        Promise.resolve().then(() => check.run({ signal: controller.signal })),
        timedOut,
      ])
      const entry: HealthCheckEntry = { status: 'pass', time: new Date().toISOString() }
      if (typeof result !== 'object' || result === null) return entry
      const status: unknown = result.status
      if (status !== undefined && !isHealthStatus(status)) {
        this.#log.warn({ check: name, critical: check.critical }, 'health check returned an unknown status')
        return { status: 'fail', time: entry.time, output: unknownStatusOutput }
      }
      if (status !== undefined) entry.status = status
      // Anything else (a BigInt, an object with a cycle) could break serialisation of the whole document.
      if (isObservedValue(result.observedValue)) entry.observedValue = result.observedValue
      if (typeof result.observedUnit === 'string') entry.observedUnit = result.observedUnit
      const output = result.output === undefined ? undefined : sanitizeOutput(result.output)
      if (entry.status === 'fail') {
        this.#log.warn({ check: name, critical: check.critical, output }, 'health check failed')
      }
      const shown = this.#details ? output : entry.status === 'fail' ? GENERIC.failed : undefined
      if (shown !== undefined) entry.output = shown
      return entry
    } catch (err) {
      this.#log.warn({ err, check: name, critical: check.critical }, 'health check failed')
      return { status: 'fail', time: new Date().toISOString(), output: this.#failureOutput(err) }
    } finally {
      clearTimeout(timer)
    }
  }

  /** The output of a check that threw, rejected or timed out: generic unless `details`. */
  #failureOutput(err: unknown): string {
    if (this.#details) return sanitizeOutput(err)
    return err instanceof CheckTimeoutError ? GENERIC.timedOut : GENERIC.failed
  }
}
