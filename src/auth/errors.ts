// Every error auth sends, built from one table: the status comes from AUTH_ERROR_CODES, the headers (the
// RFC 6750 `WWW-Authenticate` challenge with the configured realm, `Retry-After` for outages) are computed once
// per registration, so throwing one costs no string building.
import { HttpError } from '../errors/index.js'
import { AUTH_ERROR_CODES, type AuthErrorCode } from './codes.js'

/** Seconds a client is told to wait after `TOKEN_STORE_UNAVAILABLE`. */
export const STORE_RETRY_AFTER_SECONDS = 5

const DETAILS: Readonly<Record<AuthErrorCode, string>> = {
  TOKEN_MISSING: 'An access token is required',
  TOKEN_INVALID: 'The access token is invalid',
  TOKEN_EXPIRED: 'The access token has expired',
  TOKEN_REVOKED: 'The access token was revoked',
  FORBIDDEN: 'Insufficient permissions',
  CSRF_REJECTED: 'This request must come from the application itself',
  INVALID_CREDENTIALS: 'Invalid credentials',
  REFRESH_TOKEN_INVALID: 'The refresh token is invalid',
  REFRESH_TOKEN_EXPIRED: 'The refresh token has expired',
  REFRESH_TOKEN_REVOKED: 'The refresh token was revoked',
  REFRESH_TOKEN_REUSED: 'The refresh token was already used; the session is revoked',
  TOKEN_STORE_UNAVAILABLE: 'Authentication is temporarily unavailable; retry later',
  PASSWORD_TOO_LONG: 'The password is too long',
  TOKEN_KEYS_UNAVAILABLE: 'The keys to verify this access token are temporarily unavailable; retry later',
}

/** Codes sent when the request carried no bearer token at all: RFC 6750 §3.1 says no `error` then. */
const WITHOUT_TOKEN: ReadonlySet<AuthErrorCode> = new Set(['TOKEN_MISSING', 'INVALID_CREDENTIALS'])

/**
 * Makes the `HttpError` of an auth code: its status, a default `detail`, and the headers a client needs
 * (`WWW-Authenticate` on 401 and `FORBIDDEN`, `Retry-After` on 503).
 * @param code - a code of {@link AUTH_ERROR_CODES}.
 * @param detail - replaces the default detail (shown to clients for 4xx).
 * @param options - `cause`: the underlying error, kept for logs and never sent.
 * @example throw app.authError('INVALID_CREDENTIALS', 'Invalid email or password')
 * @see docs/auth.md#appautherrorcode-detail
 */
export type KeelAuthErrorFactory = (code: AuthErrorCode, detail?: string, options?: { cause?: unknown }) => HttpError

function headersFor(code: AuthErrorCode, realm: string | undefined): Readonly<Record<string, string>> {
  const { status } = AUTH_ERROR_CODES[code]
  if (status === 503) return Object.freeze({ 'retry-after': String(STORE_RETRY_AFTER_SECONDS) })
  // Only bearer-token problems get a challenge (RFC 6750): a refused CSRF check is not one.
  if (status !== 401 && code !== 'FORBIDDEN') return Object.freeze({})
  const scheme = realm === undefined ? 'Bearer' : `Bearer realm="${realm}"`
  const separator = realm === undefined ? ' ' : ', '
  let challenge = scheme
  if (code === 'FORBIDDEN') challenge = `${scheme}${separator}error="insufficient_scope"`
  else if (!WITHOUT_TOKEN.has(code)) challenge = `${scheme}${separator}error="invalid_token"`
  return Object.freeze({ 'www-authenticate': challenge })
}

/** The error factory of one registration, with `realm` (already validated) in its challenges. */
export function createAuthErrors(realm: string | undefined): KeelAuthErrorFactory {
  const headers = new Map<string, Readonly<Record<string, string>>>()
  for (const code of Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[]) headers.set(code, headersFor(code, realm))
  return function authError(code, detail, options) {
    if (!Object.hasOwn(AUTH_ERROR_CODES, code)) {
      throw new TypeError(`app.authError: unknown auth code ${JSON.stringify(String(code))}`)
    }
    const info = AUTH_ERROR_CODES[code]
    return new HttpError(info.status, detail ?? DETAILS[code], {
      code,
      headers: headers.get(code) as Readonly<Record<string, string>>,
      // keel's own 503 text is safe to show; it tells the client to retry.
      expose: info.status < 500 || detail === undefined,
      cause: options?.cause,
    })
  }
}
