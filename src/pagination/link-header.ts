import { checkCount } from './envelope.js'

/** Values of a query object, as `request.query` holds them after validation. */
export type LinkQuery = Readonly<Record<string, unknown>>

interface LinkBase {
  /**
   * The request path or absolute URL the links point to, e.g. `request.url`. A query string in it is
   * kept (its `page`, `limit` or `cursor` replaced).
   */
  url: string
  /** Query parameters to keep or override (arrays repeat the parameter; undefined and null are left out). @default undefined */
  query?: LinkQuery | undefined
}

/** Input of {@link linkHeader} for an offset page. */
export interface OffsetLinkInput extends LinkBase {
  page: number
  limit: number
  total: number
}

/** Input of {@link linkHeader} for a cursor page. */
export interface CursorLinkInput extends LinkBase {
  /** `pagination.nextCursor`; null or undefined gives no `next` link. */
  nextCursor: string | null | undefined
  /** Sets `limit` in the link; the request's own `limit` is kept otherwise. @default undefined */
  limit?: number | undefined
}

// Characters that may stand in a URI reference (RFC 3986) besides '%'; everything else in the path
// is percent-encoded, so a crafted path can neither break out of `<…>` nor put CR/LF in the header.
const UNSAFE_URI_CHARS = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/gu

function encodeChar(char: string): string {
  try {
    return encodeURIComponent(char)
  } catch {
    return '%EF%BF%BD' // a lone surrogate: U+FFFD
  }
}

function safeBase(base: string): string {
  UNSAFE_URI_CHARS.lastIndex = 0
  return UNSAFE_URI_CHARS.test(base) ? base.replace(UNSAFE_URI_CHARS, encodeChar) : base
}

function buildParams(url: string, query: LinkQuery | undefined): [string, URLSearchParams] {
  const q = url.indexOf('?')
  const base = safeBase(q === -1 ? url : url.slice(0, q))
  const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  if (query !== undefined) {
    for (const key of Object.keys(query)) {
      const value = query[key]
      if (value === undefined || value === null) continue
      params.delete(key)
      if (Array.isArray(value)) for (const item of value) params.append(key, String(item))
      else params.append(key, String(value))
    }
  }
  return [base, params]
}

function link(base: string, params: URLSearchParams, rel: string): string {
  return `<${base}?${params.toString()}>; rel="${rel}"`
}

/**
 * Builds an RFC 8288 `Link` header value for a page: `first`, `prev`, `next` and `last` for an offset
 * page (prev/next only when they exist), or `next` for a cursor page. The request's other query
 * parameters are kept; everything is URL-encoded. Returns `''` when there is no link (last cursor page).
 * Expose the header to browsers with CORS `exposedHeaders: ['link']`.
 *
 * @param input - `{ url, query?, page, limit, total }` (offset) or `{ url, query?, nextCursor, limit? }` (cursor).
 * @throws TypeError when `page`/`limit` are not integers >= 1, `total` not an integer >= 0, or
 *   `nextCursor` is neither a string nor null/undefined (the same checks as `paginate`/`cursorPage`).
 * @example
 * const link = linkHeader({ url: request.url, page, limit, total })
 * if (link) reply.header('link', link)
 * // </users?status=active&page=1&limit=20>; rel="first", </users?status=active&page=3&limit=20>; rel="next", …
 * @see docs/pagination.md
 */
export function linkHeader(input: OffsetLinkInput | CursorLinkInput): string {
  const [base, params] = buildParams(input.url, input.query)
  if ('nextCursor' in input) {
    if (input.limit !== undefined) checkCount('limit', input.limit, 1)
    if (input.nextCursor === null || input.nextCursor === undefined) return ''
    if (typeof input.nextCursor !== 'string') {
      throw new TypeError(`nextCursor must be a string, null or undefined, got ${typeof input.nextCursor}`)
    }
    if (input.limit !== undefined) params.set('limit', String(input.limit))
    params.set('cursor', input.nextCursor)
    return link(base, params, 'next')
  }
  const { page, limit, total } = input
  // Unchecked, limit 0 makes `last` Infinity and a fraction or NaN makes links to pages that do not exist.
  checkCount('page', page, 1)
  checkCount('limit', limit, 1)
  checkCount('total', total, 0)
  const last = Math.max(1, Math.ceil(total / limit))
  params.set('page', '1')
  params.set('limit', String(limit))
  const links = [link(base, params, 'first')]
  if (page > 1) {
    params.set('page', String(Math.min(page - 1, last)))
    links.push(link(base, params, 'prev'))
  }
  if (page < last) {
    params.set('page', String(page + 1))
    links.push(link(base, params, 'next'))
  }
  params.set('page', String(last))
  links.push(link(base, params, 'last'))
  return links.join(', ')
}
