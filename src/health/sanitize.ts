// Check failures reach unauthenticated probe responses, so only a short, scrubbed message leaves the process.
// Full errors go to the log instead.

const MAX_OUTPUT = 200
// scheme://anything-up-to-whitespace-or-quote: connection strings, URLs with credentials or tokens in the query.
const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi
// key=value / key: value secrets in libpq-style connection strings and config dumps.
const secretPattern = /\b(password|passwd|pwd|secret|token|api[_-]?key|auth)\s*[=:]\s*[^\s;,&'"]+/gi
// user:password@host without a scheme.
const userinfoPattern = /[^\s/:@'"]+:[^\s/@'"]+@[^\s/'"]+/g

/**
 * A safe `output` for a health document: the error message's first line only (never a stack), with URLs,
 * credentials and `key=secret` pairs replaced, truncated to 200 characters.
 */
export function sanitizeOutput(value: unknown): string {
  let text: string
  if (value instanceof Error) text = value.message
  else if (typeof value === 'string') text = value
  else return 'check failed'
  const newline = text.indexOf('\n')
  if (newline !== -1) text = text.slice(0, newline)
  text = text
    .replace(urlPattern, '[redacted url]')
    .replace(userinfoPattern, '[redacted]')
    .replace(secretPattern, '$1=[redacted]')
    .trim()
  if (text === '') return 'check failed'
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT - 1)}…` : text
}
