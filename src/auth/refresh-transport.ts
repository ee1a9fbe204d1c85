// How a refresh token reaches `app.tokens` and goes back to the client: the JSON body, or (cookie mode) an
// `HttpOnly; Secure; SameSite=Strict` cookie scoped to `cookiePath`, behind the CSRF check of csrf.ts. Cookie mode
// uses @fastify/cookie (an optional peer dependency) through the two decorators it adds, typed here by their
// shape so keel's published types never need the package.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { KeelCorsPolicy } from '../security/cors-policy.js'
import { createCsrfCheck, trustedOrigins } from './csrf.js'
import type { KeelAuthErrorFactory } from './errors.js'
import { read } from './options.js'
import type { ResolvedRefreshTransport } from './refresh-transport-options.js'
import type { KeelTokenResponse, TokenPair } from './types.js'

/** The part of @fastify/cookie's decorators cookie mode uses. */
interface CookieOptions {
  httpOnly: true
  secure: true
  sameSite: 'strict'
  path: string
  maxAge?: number
}
interface CookieReply {
  setCookie(name: string, value: string, options: CookieOptions): unknown
  clearCookie(name: string, options: CookieOptions): unknown
}
interface CookieRequest {
  cookies?: Record<string, string | undefined>
}

/** `app.tokens.fromRequest`, `respond` and `clearCookie`. */
export interface RefreshTransport {
  fromRequest(request: FastifyRequest): string | undefined
  respond(reply: FastifyReply, pair: TokenPair): KeelTokenResponse
  clearCookie(reply: FastifyReply): void
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'QUERY'])

function withoutRefreshToken(pair: TokenPair): KeelTokenResponse {
  const { refreshToken: _sent, ...rest } = pair
  return rest
}

/** Builds the transport; in cookie mode also guards the routes under the cookie's path (see csrf.ts). */
export function createRefreshTransport(
  app: FastifyInstance,
  config: ResolvedRefreshTransport,
  authError: KeelAuthErrorFactory,
): RefreshTransport {
  if (config.transport === 'body') {
    return {
      fromRequest(request) {
        const token = (request.body as { refreshToken?: unknown } | null | undefined)?.refreshToken
        return typeof token === 'string' ? token : undefined
      },
      respond(reply, pair) {
        reply.header('cache-control', 'no-store')
        return pair
      },
      clearCookie() {},
    }
  }

  const { cookieName, cookiePath, csrfHeader } = config
  const cookie = { httpOnly: true, secure: true, sameSite: 'strict', path: cookiePath } as const
  let trusted: ReadonlySet<string> = new Set()
  const passes = createCsrfCheck(csrfHeader, () => trusted)
  const check = (request: FastifyRequest) => {
    if (!passes(request)) throw authError('CSRF_REJECTED')
  }
  guardRoutesUnder(app, cookiePath, async function keelRefreshCsrf(request: FastifyRequest) {
    check(request)
  })
  app.addHook('onReady', async function resolveRefreshCookie() {
    if (!app.hasReplyDecorator('setCookie') || !app.hasRequestDecorator('cookies')) {
      throw read.misuse(
        'KEEL_ERR_AUTH_COOKIE_PLUGIN_MISSING',
        "refreshToken.transport 'cookie' needs @fastify/cookie, which is not registered",
        'npm install @fastify/cookie, then await app.register(cookie) before keelAuth',
      )
    }
    const policy = app.hasDecorator('corsPolicy')
      ? (app as FastifyInstance & { corsPolicy: KeelCorsPolicy }).corsPolicy
      : undefined
    trusted = trustedOrigins(policy)
  })

  return {
    fromRequest(request) {
      check(request)
      return (request as FastifyRequest & CookieRequest).cookies?.[cookieName]
    },
    respond(reply, pair) {
      check(reply.request)
      reply.header('cache-control', 'no-store')
      ;(reply as FastifyReply & CookieReply).setCookie(cookieName, pair.refreshToken, {
        ...cookie,
        maxAge: pair.refreshTokenExpiresIn,
      })
      return withoutRefreshToken(pair)
    },
    clearCookie(reply) {
      ;(reply as FastifyReply & CookieReply).clearCookie(cookieName, cookie)
      reply.header('clear-site-data', '"cookies"')
    },
  }
}

/** Puts `hook` first in `onRequest` of every unsafe route under `path` (the requests the cookie reaches). */
function guardRoutesUnder(app: FastifyInstance, path: string, hook: (request: FastifyRequest) => Promise<void>) {
  const below = path.endsWith('/') ? path : `${path}/`
  app.addHook('onRoute', function guardRefreshCookieRoutes(route: RouteOptions) {
    const url = route.url
    if (url !== path && !url.startsWith(below)) return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.every((method) => SAFE_METHODS.has(method.toUpperCase()))) return
    const existing = route.onRequest
    route.onRequest = existing === undefined ? [hook] : Array.isArray(existing) ? [hook, ...existing] : [hook, existing]
  })
}
