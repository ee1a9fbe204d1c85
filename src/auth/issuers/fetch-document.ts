// Fetches one JSON document of an identity provider (its JWK Set or its discovery document) within hard bounds: one
// deadline for the whole exchange (headers and body), a byte limit counted while the body streams in (a declared
// `Content-Length` over it is refused before reading), no redirects, and only 200 answers. What the response's
// `Cache-Control` allows is returned with the body; the caller bounds it.

/** A JSON document and how long its `Cache-Control` says it may be kept. */
export interface FetchedDocument {
  readonly body: unknown
  /** `max-age` in ms; 0 for `no-cache`/`no-store`; undefined when the response says nothing. */
  readonly maxAgeMs: number | undefined
}

/** The bounds of one fetch. */
export interface FetchBounds {
  readonly timeoutMs: number
  readonly maxBytes: number
  /** Aborted when the app closes. */
  readonly signal: AbortSignal
}

const MAX_AGE = /^max-age\s*=\s*"?(\d{1,10})"?$/i

/** `max-age` of a `Cache-Control` header in ms, 0 when the response must not be reused, else undefined. */
export function cacheControlMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined
  let maxAge: number | undefined
  for (const part of header.split(',', 32)) {
    const directive = part.trim()
    const lower = directive.toLowerCase()
    if (lower === 'no-store' || lower === 'no-cache') return 0
    const match = MAX_AGE.exec(directive)
    if (match !== null) maxAge = Number(match[1]) * 1000
  }
  return maxAge
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) throw new Error(`the document declares ${declared} bytes, over the limit of ${maxBytes}`)
  if (response.body === null) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > maxBytes) throw new Error(`the document is over the limit of ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * GETs `url` and parses its JSON body, or rejects: a timeout, a network error, a status other than 200 (redirects
 * included), a body over `maxBytes`, or a body that is not JSON.
 */
export async function fetchDocument(url: string, bounds: FetchBounds): Promise<FetchedDocument> {
  const controller = new AbortController()
  const abort = () => controller.abort(bounds.signal.reason)
  if (bounds.signal.aborted) abort()
  bounds.signal.addEventListener('abort', abort, { once: true })
  const timer = setTimeout(
    () => controller.abort(new Error(`no complete answer within ${bounds.timeoutMs} ms`)),
    bounds.timeoutMs,
  )
  timer.unref()
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      throw new Error(`expected 200 OK, got ${response.status}`)
    }
    const text = await readBounded(response, bounds.maxBytes)
    return { body: JSON.parse(text) as unknown, maxAgeMs: cacheControlMaxAge(response.headers.get('cache-control')) }
  } catch (error) {
    // A timeout or the app closing is the reason of the abort; say that rather than "aborted".
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined
    controller.abort() // stop reading whatever is left of an over-long or unwanted body
    throw reason instanceof Error && reason !== error ? new Error(reason.message, { cause: error }) : error
  } finally {
    clearTimeout(timer)
    bounds.signal.removeEventListener('abort', abort)
  }
}
