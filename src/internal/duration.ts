// The one duration grammar of every fastify-keel option: a number is milliseconds (as in Fastify), a string is
// a number and a unit (`'15m'`, `'15 minutes'`, `'1.5 h'`, `'500ms'`); a string of digits alone is milliseconds.

const unitMs: Readonly<Record<string, number>> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

// Bounded and anchored: at most 15 digits either side of the point, then an optional unit word.
const durationPattern = /^(\d{1,15}(?:\.\d{1,15})?)\s*([a-z]{0,12})$/i

/**
 * Milliseconds of a duration (rounded to an integer), or `undefined` when `value` is not one: a finite number
 * of ms >= 0, or a string such as `'15m'`, `'15 minutes'`, `'30 s'`, `'1.5h'`, `'250ms'`, `'1 week'`.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined
  if (typeof value !== 'string' || value.length > 40) return undefined
  const match = durationPattern.exec(value.trim())
  if (match === null) return undefined
  const unit = match[2] === undefined || match[2] === '' ? 'ms' : match[2].toLowerCase()
  const factor = unitMs[unit]
  if (factor === undefined) return undefined
  const ms = Math.round(Number(match[1]) * factor)
  return Number.isSafeInteger(ms) ? ms : undefined
}

/** The grammar in words, for error messages. */
export const DURATION_HINT = "milliseconds, or a string such as '30s', '15m', '15 minutes', '1h', '30d'"
