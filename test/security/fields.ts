// Reads the RateLimit-Policy and RateLimit fields of a response with a Structured Field parser, as a client would.
import { parseList } from 'structured-headers'

/** One member of a RateLimit-Policy or RateLimit list: the policy name and its parameters. */
export interface FieldItem {
  name: string
  params: Record<string, unknown>
}

type Headers = Record<string, string | string[] | number | undefined> | Headers_
type Headers_ = { get(name: string): string | null }

function header(headers: Headers, name: string): string | undefined {
  if (typeof (headers as Headers_).get === 'function') return (headers as Headers_).get(name) ?? undefined
  const value = (headers as Record<string, unknown>)[name]
  return value === undefined ? undefined : String(value)
}

function parse(value: string | undefined): FieldItem[] | undefined {
  if (value === undefined) return undefined
  return parseList(value).map(([item, params]) => {
    if (typeof item !== 'string') throw new Error(`a policy name must be a String, got ${String(item)}`)
    return { name: item, params: Object.fromEntries(params) }
  })
}

/** The parsed `RateLimit-Policy` and `RateLimit` of a response (`inject` headers or `fetch` Headers). */
export function rateLimitFields(headers: Headers): { policy: FieldItem[] | undefined; limit: FieldItem[] | undefined } {
  return { policy: parse(header(headers, 'ratelimit-policy')), limit: parse(header(headers, 'ratelimit')) }
}

/** `{ name: { q, w } }` of `RateLimit-Policy` and `{ name: { r, t } }` of `RateLimit`, for short assertions. */
export function fieldsByName(headers: Headers): {
  policy: Record<string, Record<string, unknown>>
  limit: Record<string, Record<string, unknown>>
} {
  const { policy, limit } = rateLimitFields(headers)
  const byName = (items: FieldItem[] | undefined) =>
    Object.fromEntries((items ?? []).map((item) => [item.name, item.params]))
  return { policy: byName(policy), limit: byName(limit) }
}
