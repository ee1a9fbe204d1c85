/** A parsed W3C Trace Context `traceparent` header. @see docs/request-id.md */
export interface TraceContext {
  /** 32 lowercase hex characters, not all zero. */
  readonly traceId: string
  /** 16 lowercase hex characters (the caller's span id), not all zero. */
  readonly parentId: string
  /** The trace flags as a number; bit 0 (`flags & 1`) is "sampled". */
  readonly flags: number
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_PARENT_ID = '0'.repeat(16)
const TRACEPARENT_V0_LENGTH = 55

/**
 * Parses a `traceparent` header value (W3C Trace Context level 1): `00-<trace-id>-<parent-id>-<flags>`.
 * Returns `null` for anything invalid: wrong length, upper-case or non-hex characters, all-zero ids,
 * version `ff`, or a version `00` value with trailing data. Higher versions are parsed by their
 * version-00 prefix, as the spec asks.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 * // → { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', flags: 1 }
 * @see docs/request-id.md
 */
export function parseTraceparent(value: unknown): TraceContext | null {
  if (typeof value !== 'string' || value.length < TRACEPARENT_V0_LENGTH) return null
  const match = TRACEPARENT.exec(value)
  if (match === null) return null
  const [, version, traceId, parentId, flags] = match as unknown as [string, string, string, string, string]
  if (version === 'ff') return null
  if (
    version === '00'
      ? value.length !== TRACEPARENT_V0_LENGTH
      : value.length > TRACEPARENT_V0_LENGTH && value[TRACEPARENT_V0_LENGTH] !== '-'
  )
    return null
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return null
  return { traceId, parentId, flags: Number.parseInt(flags, 16) }
}
