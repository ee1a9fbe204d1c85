// What an app may record about a session's device, bounded before it reaches a store: known fields only, strings
// only, control characters dropped (they have no place in a user agent or a device name, and PostgreSQL text
// cannot hold NUL), lone surrogates replaced (jsonb refuses them), cut to a fixed length without splitting a
// character. A user agent is a header anyone can set: it is shown to the user, never trusted.
import type { KeelSessionMetadata } from './token-store.js'

/** Longest value kept per field (in UTF-16 code units); longer values are cut, not refused. */
export const SESSION_METADATA_LIMITS: Readonly<Record<keyof KeelSessionMetadata, number>> = Object.freeze({
  userAgent: 256,
  ip: 64,
  device: 64,
})

const FIELDS = Object.keys(SESSION_METADATA_LIMITS) as Array<keyof KeelSessionMetadata>
// Both linear: character classes with a one-character lookaround, no nesting.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point (to drop them)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const EMPTY: KeelSessionMetadata = Object.freeze({})

function bounded(value: string, limit: number): string {
  let text = value.replace(CONTROL, '').replace(LONE_SURROGATE, '\ufffd')
  if (text.length > limit) {
    const cut = text.charCodeAt(limit - 1)
    // Do not keep half of a surrogate pair.
    text = text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? limit - 1 : limit)
  }
  return text.trim()
}

/**
 * The metadata to store for `issue(user, { metadata })`: each known field a bounded string, empty ones dropped.
 * @throws TypeError for an unknown field or a value that is neither a string nor `undefined`.
 */
export function sessionMetadata(input: unknown): KeelSessionMetadata {
  if (input === undefined) return EMPTY
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError('app.tokens.issue(user, { metadata }) needs metadata as an object')
  }
  const metadata: Record<string, string> = {}
  for (const [field, value] of Object.entries(input)) {
    if (!FIELDS.includes(field as keyof KeelSessionMetadata)) {
      throw new TypeError(`app.tokens.issue: unknown session metadata "${field}"; known are ${FIELDS.join(', ')}`)
    }
    if (value === undefined) continue
    if (typeof value !== 'string') throw new TypeError(`app.tokens.issue: session metadata "${field}" must be a string`)
    const text = bounded(value, SESSION_METADATA_LIMITS[field as keyof KeelSessionMetadata])
    if (text !== '') metadata[field] = text
  }
  return Object.freeze(metadata)
}
