// One options dialect for every plugin: the same validators, the same duration grammar, the same unknown-key rule
// (Fastify's own register options are always accepted) and one message shape:
//   fastify-keel/<plugin>: option "<path>" <problem>, got <value>; <fix>
import { describeValue, KeelConfigError } from './config-error.js'
import { DURATION_HINT, parseDuration } from './duration.js'

/** Options Fastify itself reads from a plugin's options object (`app.register(plugin, { prefix, logLevel })`). */
export const FASTIFY_REGISTER_OPTIONS: readonly string[] = Object.freeze(['prefix', 'logLevel', 'logSerializers'])

/** setTimeout clamps larger delays to 1 ms, which would turn a long timeout into none. */
export const MAX_TIMER_MS = 2 ** 31 - 1

type ConfigCode = `KEEL_ERR_${string}`

/** Per-call settings shared by the validators. */
export interface CheckOptions {
  /** The code of the error, when not the reader's default `…_INVALID_OPTION`. */
  code?: ConfigCode
  /** The fix, when the default one says too little. */
  fix?: string
  /** Never echo the value (secrets): the message says only its type. */
  sensitive?: boolean
}

export interface RangeOptions extends CheckOptions {
  /** Smallest value accepted. @default 0 for numbers, 1 for integers and durations */
  min?: number
  /** Largest value accepted. @default Number.MAX_SAFE_INTEGER (durations: MAX_TIMER_MS) */
  max?: number
}

/**
 * Validators bound to one plugin and its default config code. Each returns the validated value (or the
 * fallback when the value is `undefined`) and throws a {@link KeelConfigError} otherwise.
 */
export interface OptionsReader {
  /** A `KeelConfigError` in the one message shape. `path` `''` means the options object itself. */
  error(path: string, problem: string, value: unknown, fix: string, options?: CheckOptions): KeelConfigError
  /** A `KeelConfigError` about misuse other than an option value: `fastify-keel/<plugin>: <problem>; <fix>`. */
  misuse(code: ConfigCode, problem: string, fix: string): KeelConfigError
  /**
   * The plugin's options object (`undefined`/`null` → `{}`); refuses a non-object and any key outside `known`,
   * except Fastify's register options (`prefix`, `logLevel`, `logSerializers`).
   */
  root(opts: unknown, known: readonly string[]): Record<string, unknown>
  /** A nested options object at `path` (`undefined` → `{}`), refusing keys outside `known`. */
  object(path: string, value: unknown, known: readonly string[], options?: CheckOptions): Record<string, unknown>
  boolean(path: string, value: unknown, fallback: boolean, options?: CheckOptions): boolean
  /** A string, non-empty unless `allowEmpty`; `pattern` must match when given (describe it in `fix`). */
  string(
    path: string,
    value: unknown,
    fallback: string,
    options?: CheckOptions & { pattern?: RegExp; allowEmpty?: boolean },
  ): string
  /** Like {@link OptionsReader.string}, `undefined` when absent. */
  optionalString(
    path: string,
    value: unknown,
    options?: CheckOptions & { pattern?: RegExp; allowEmpty?: boolean },
  ): string | undefined
  /** A safe integer in `[min, max]` (default min 1). */
  integer(path: string, value: unknown, fallback: number, options?: RangeOptions): number
  /** A finite number in `[min, max]` (default min 0). */
  number(path: string, value: unknown, fallback: number, options?: RangeOptions): number
  /**
   * Milliseconds: a number of ms or a string such as `'15m'` / `'15 minutes'` (default min 1, max
   * {@link MAX_TIMER_MS}). `fallback` may itself be a duration string.
   */
  duration(path: string, value: unknown, fallback: number | string, options?: RangeOptions): number
  /** A list of non-empty strings, frozen. */
  stringList(path: string, value: unknown, fallback: readonly string[], options?: CheckOptions): readonly string[]
  /** A function, or `undefined` when absent. */
  func<F>(path: string, value: unknown, options?: CheckOptions): F | undefined
  /** One of `allowed` (compared with `===`). */
  oneOf<const T>(path: string, value: unknown, allowed: readonly T[], fallback: T, options?: CheckOptions): T
}

/** A plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Levenshtein distance, for "did you mean" hints on option names (short strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/** The known name closest to a misspelt one, if it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  if (name.length > 64) return undefined
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1
  for (const candidate of known) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : distance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/**
 * The validators of one plugin. `plugin` is the subpath name (`'auth'`, `'request-id'`) or `''` for the `keel`
 * preset of the root entry; `code` is the plugin's `KEEL_ERR_<PLUGIN>_INVALID_OPTION`.
 */
export function optionsReader(plugin: string, code: ConfigCode): OptionsReader {
  const source = plugin === '' ? 'fastify-keel' : `fastify-keel/${plugin}`

  function error(path: string, problem: string, value: unknown, fix: string, options?: CheckOptions) {
    const subject = path === '' ? 'options' : `option "${path}"`
    const got = options?.sensitive === true ? describeType(value) : describeValue(value)
    return new KeelConfigError(options?.code ?? code, `${source}: ${subject} ${problem}, got ${got}; ${fix}`)
  }

  function checkKeys(path: string, value: Record<string, unknown>, known: readonly string[], allowRegister: boolean) {
    for (const key of Object.keys(value)) {
      if (known.includes(key) || (allowRegister && FASTIFY_REGISTER_OPTIONS.includes(key))) continue
      const suggestion = closestName(key, known)
      throw error(
        join(path, key),
        'is unknown',
        value[key],
        `${suggestion === undefined ? '' : `did you mean "${join(path, suggestion)}"? `}known options are ${known.join(', ')}`,
      )
    }
  }

  function stringValue(
    path: string,
    value: unknown,
    options: (CheckOptions & { pattern?: RegExp; allowEmpty?: boolean }) | undefined,
  ): string {
    const ok =
      typeof value === 'string' &&
      (options?.allowEmpty === true || value.trim() !== '') &&
      (options?.pattern === undefined || options.pattern.test(value))
    if (!ok) {
      const problem = options?.pattern === undefined ? 'must be a non-empty string' : 'is not valid'
      throw error(path, problem, value, options?.fix ?? 'pass a non-empty string', options)
    }
    return value as string
  }

  function range(min: number, max: number): string {
    return `from ${min} to ${max}`
  }

  return {
    error,
    misuse(misuseCode, problem, fix) {
      return new KeelConfigError(misuseCode, `${source}: ${problem}; ${fix}`)
    },
    root(opts, known) {
      if (opts === undefined || opts === null) return {}
      if (!isPlainObject(opts)) throw error('', 'must be an object', opts, `pass { ${known.join(', ')} }`)
      checkKeys('', opts, known, true)
      return opts
    },
    object(path, value, known, options) {
      if (value === undefined) return {}
      if (!isPlainObject(value)) {
        throw error(path, 'must be an object', value, options?.fix ?? `pass { ${known.join(', ')} }`, options)
      }
      checkKeys(path, value, known, false)
      return value
    },
    boolean(path, value, fallback, options) {
      if (value === undefined) return fallback
      if (typeof value !== 'boolean')
        throw error(path, 'must be a boolean', value, options?.fix ?? 'pass true or false', options)
      return value
    },
    string(path, value, fallback, options) {
      return value === undefined ? fallback : stringValue(path, value, options)
    },
    optionalString(path, value, options) {
      return value === undefined ? undefined : stringValue(path, value, options)
    },
    integer(path, value, fallback, options) {
      if (value === undefined) return fallback
      const min = options?.min ?? 1
      const max = options?.max ?? Number.MAX_SAFE_INTEGER
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        const bounds = range(min, max)
        throw error(path, `must be an integer ${bounds}`, value, options?.fix ?? `pass an integer ${bounds}`, options)
      }
      return value
    },
    number(path, value, fallback, options) {
      if (value === undefined) return fallback
      const min = options?.min ?? 0
      const max = options?.max ?? Number.MAX_SAFE_INTEGER
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        const bounds = range(min, max)
        throw error(path, `must be a number ${bounds}`, value, options?.fix ?? `pass a number ${bounds}`, options)
      }
      return value
    },
    duration(path, value, fallback, options) {
      const min = options?.min ?? 1
      const max = options?.max ?? MAX_TIMER_MS
      const ms = parseDuration(value === undefined ? fallback : value)
      if (ms === undefined || ms < min || ms > max) {
        throw error(
          path,
          ms === undefined ? 'is not a duration' : `must be a duration from ${min} ms to ${max} ms`,
          value,
          options?.fix ?? `pass ${DURATION_HINT}`,
          options,
        )
      }
      return ms
    },
    stringList(path, value, fallback, options) {
      if (value === undefined) return fallback
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
        throw error(
          path,
          'must be an array of non-empty strings',
          value,
          options?.fix ?? "pass e.g. ['a', 'b']",
          options,
        )
      }
      return Object.freeze([...value] as string[])
    },
    func<F>(path: string, value: unknown, options?: CheckOptions): F | undefined {
      if (value === undefined) return undefined
      if (typeof value !== 'function')
        throw error(path, 'must be a function', value, options?.fix ?? 'pass a function', options)
      return value as F
    },
    oneOf(path, value, allowed, fallback, options) {
      if (value === undefined) return fallback
      if (!allowed.includes(value as (typeof allowed)[number])) {
        const list = allowed.map((item) => (typeof item === 'string' ? `'${item}'` : String(item))).join(', ')
        throw error(path, `must be one of ${list}`, value, options?.fix ?? `pass one of ${list}`, options)
      }
      return value as (typeof allowed)[number]
    },
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'string' ? `a string of ${value.length} characters` : `a ${typeof value}`
}
