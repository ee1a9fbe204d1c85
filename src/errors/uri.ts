// `instance` must be an RFC 3986 URI reference, but `request.url` is what the client sent: Node lets through
// `"<>{}|^\` and a backtick, stray `%`, and `app.inject()` any character. Only what RFC 3986 forbids is encoded;
// a valid `%XX` is kept as it is, never encoded twice.

// pchar (unreserved, sub-delims, ':', '@') and '/', or '%' followed by two hex digits. The alternatives start with
// different characters, so the test is linear in the length of the path.
const URI_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/
const ALLOWED = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/
const HEX = /^[0-9A-Fa-f]{2}$/
/** UTF-8 of U+FFFD, for a lone surrogate (which has no UTF-8 form). */
const REPLACEMENT = '%EF%BF%BD'

function encodeCodePoint(text: string, index: number): [encoded: string, length: number] {
  const point = text.codePointAt(index) as number
  const length = point > 0xffff ? 2 : 1
  if (point >= 0xd800 && point <= 0xdfff) return [REPLACEMENT, 1]
  return [encodeURIComponent(String.fromCodePoint(point)), length]
}

/**
 * The path part of a request URL (no query string) as a valid URI reference: characters RFC 3986 does not allow
 * in a path are percent-encoded as UTF-8, a `%` not followed by two hex digits becomes `%25`.
 *
 * @example
 * uriPath('/a b/<x>/%zz/%41') // → '/a%20b/%3Cx%3E/%25zz/%41'
 */
export function uriPath(path: string): string {
  if (URI_PATH.test(path)) return path
  let result = ''
  let i = 0
  while (i < path.length) {
    const char = path[i] as string
    if (char === '%') {
      result += HEX.test(path.slice(i + 1, i + 3)) ? '%' : '%25'
      i++
    } else if (ALLOWED.test(char)) {
      result += char
      i++
    } else {
      const [encoded, length] = encodeCodePoint(path, i)
      result += encoded
      i += length
    }
  }
  return result
}
