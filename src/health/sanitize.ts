// Check failures reach unauthenticated probe responses, so only a short, scrubbed message leaves the process.
// Full errors go to the log instead.
//
// Every pattern below runs in linear time: a greedy run either starts only where the previous character cannot
// belong to it (a lookbehind), or is followed by a character its own class excludes, so a failed attempt never
// rescans the same run from each of its positions. The message is also cut to MAX_SCAN characters first.

const MAX_OUTPUT = 200
// Redaction shortens the text, so more than MAX_OUTPUT characters are scanned; nothing past this is ever kept.
const MAX_SCAN = 1000
const REDACTED = '[redacted]'

// scheme://anything-up-to-whitespace-or-quote: connection strings, URLs with credentials or tokens in the query.
const urlPattern = /(?<![a-z0-9+.-])[a-z0-9+.-]*:\/\/[^\s'"<>]*/gi
// user:password@host without a scheme. Neither part holds a `:`, so the run after one `:` is scanned at most twice.
const userinfoPattern = /(?<![^\s/:@'"])[^\s/:@'"]+:[^\s/:@'"]+@[^\s/'"]+/g
/**
 * A key that names a secret, anywhere in a run of word characters (`password`, `PGPASSWORD`, `db_password`,
 * `client_secret`, `Authorization`, `x-api-key`), optionally quoted (JSON), then either `=` / `:` and a value, or
 * whitespace and a quoted value (`with password 'hunter2'`). The value is a quoted string (escapes honoured), or an
 * unquoted word, after an optional auth scheme (`Authorization: Bearer <token>`).
 * The lookahead scans one run once (the lookbehind admits only its first character); the key is the whole run.
 */
const secretPattern =
  /(?<![\w-])((?=[\w-]*?(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|auth|credential|private[_-]?key|session|cookie))[\w-]+)(["']?)(\s*[=:]\s*|\s+(?=["']))(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|(?:(?:bearer|basic|digest|token)\s+)?[^\s;,&'"]+)/gi
// `Bearer <token>` outside a key=value pair, e.g. a logged request header.
const bearerPattern = /(?<![\w-])(bearer)\s+[^\s'"]+/gi
// JWT-looking strings: base64url JSON (`{"` encodes as `eyJ`) and its dot-separated parts.
const jwtPattern = /(?<![\w-])eyJ[\w-]*(?:\.[\w-]*)*/g

/**
 * Replaces URLs, `user:password@host`, secret key/value pairs, bearer tokens and JWTs in one line of text.
 * Internal (tested directly); use {@link sanitizeOutput}.
 */
export function redactSecrets(text: string): string {
  // Key/value pairs first, so a value that is a URL or a bearer token goes as a whole.
  return text
    .replace(secretPattern, `$1$2$3${REDACTED}`)
    .replace(urlPattern, '[redacted url]')
    .replace(userinfoPattern, REDACTED)
    .replace(bearerPattern, `$1 ${REDACTED}`)
    .replace(jwtPattern, REDACTED)
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 11 || code === 12 || code === 0xa0
}

/** The first line, at most MAX_SCAN characters; a word cut by the limit is dropped, as half a secret is unrecognisable. */
function firstLine(text: string): string {
  const newline = text.indexOf('\n')
  let line = newline === -1 ? text : text.slice(0, newline)
  if (line.length > MAX_SCAN) {
    let end = MAX_SCAN
    while (end > 0 && !isWhitespace(line.charCodeAt(end))) end--
    line = line.slice(0, end)
  }
  return line
}

/**
 * A safe `output` for a health document: the error message's first line only (never a stack), with URLs,
 * credentials, secret key/value pairs, bearer tokens and JWTs replaced, truncated to 200 characters.
 */
export function sanitizeOutput(value: unknown): string {
  const message: unknown = value instanceof Error ? value.message : value
  if (typeof message !== 'string') return 'check failed'
  const text = redactSecrets(firstLine(message)).trim()
  if (text === '') return 'check failed'
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT - 1)}…` : text
}
