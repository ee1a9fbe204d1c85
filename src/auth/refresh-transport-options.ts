import type { OptionsReader } from '../internal/options.js'

/**
 * How refresh tokens travel between the client and `app.tokens`. Body mode suits native and server clients;
 * cookie mode suits browsers: JavaScript never sees the refresh token.
 * @see docs/auth.md#refreshtoken
 */
export interface KeelRefreshTokenOptions {
  /**
   * `'body'`: `refreshToken` in the JSON request and response bodies. `'cookie'`: an `HttpOnly; Secure;
   * SameSite=Strict` cookie set by `app.tokens.respond`, read by `app.tokens.fromRequest`, cleared by
   * `app.tokens.clearCookie`; every unsafe request under its path must pass a CSRF check. Needs
   * `@fastify/cookie` registered.
   * @default 'body'
   */
  transport?: 'body' | 'cookie'
  /**
   * Cookie mode: the cookie's `Path`; it is sent to this path and below only. `'/'` gets the `__Host-` name
   * prefix, any other path `__Secure-`.
   * @default '/auth'
   */
  cookiePath?: string
  /**
   * Cookie mode: the cookie's name, after its `__Host-` / `__Secure-` prefix (1 to 64 letters, digits, `_`, `-`).
   * @default 'keel_refresh'
   */
  cookieName?: string
  /**
   * Cookie mode: a request header every unsafe request (POST, PUT, PATCH, DELETE) under `cookiePath` must send,
   * with any non-empty value. A cross-site form cannot send it, and cross-origin scripts need a CORS preflight
   * to: list it in `keelSecurity`'s `cors.allowedHeaders`.
   * @default 'x-requested-with'
   */
  csrfHeader?: string
}

/** {@link KeelRefreshTokenOptions} after validation. */
export type ResolvedRefreshTransport =
  | { readonly transport: 'body' }
  | {
      readonly transport: 'cookie'
      /** The full cookie name, with its prefix. */
      readonly cookieName: string
      readonly cookiePath: string
      /** Lowercase, as Node stores request headers. */
      readonly csrfHeader: string
    }

const KNOWN = ['transport', 'cookiePath', 'cookieName', 'csrfHeader']
const BODY: ResolvedRefreshTransport = Object.freeze({ transport: 'body' })
// RFC 6265 path-value characters that need no quoting, starting with `/`.
const COOKIE_PATH = /^\/[A-Za-z0-9._~!$&'()*+=:@%/-]{0,255}$/
const COOKIE_NAME = /^[A-Za-z0-9_-]{1,64}$/
// An RFC 9110 token, so the name is a valid header name.
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/

/** Validates the `refreshToken` option. */
export function resolveRefreshTransport(read: OptionsReader, value: unknown): ResolvedRefreshTransport {
  const o = read.object('refreshToken', value, KNOWN)
  const transport = read.oneOf('refreshToken.transport', o.transport, ['body', 'cookie'], 'body')
  if (transport === 'body') {
    for (const key of ['cookiePath', 'cookieName', 'csrfHeader']) {
      if (o[key] !== undefined) {
        throw read.error(
          `refreshToken.${key}`,
          "only applies to transport: 'cookie'",
          o[key],
          "set refreshToken.transport to 'cookie', or drop it",
        )
      }
    }
    return BODY
  }
  const cookiePath = read.string('refreshToken.cookiePath', o.cookiePath, '/auth', {
    pattern: COOKIE_PATH,
    fix: "use a path starting with '/' without spaces, quotes, ';' or ',', e.g. '/auth'",
  })
  const name = read.string('refreshToken.cookieName', o.cookieName, 'keel_refresh', {
    pattern: COOKIE_NAME,
    fix: 'use 1 to 64 letters, digits, _ or -',
  })
  const csrfHeader = read.string('refreshToken.csrfHeader', o.csrfHeader, 'x-requested-with', {
    pattern: HEADER_NAME,
    fix: "use a header name such as 'x-requested-with'",
  })
  return Object.freeze({
    transport,
    // A __Host- cookie must have Path=/ (RFC 6265bis); any other path can still require Secure.
    cookieName: `${cookiePath === '/' ? '__Host-' : '__Secure-'}${name}`,
    cookiePath,
    csrfHeader: csrfHeader.toLowerCase(),
  })
}
