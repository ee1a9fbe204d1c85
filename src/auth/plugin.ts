import { createHash, randomBytes, randomUUID } from 'node:crypto'
import fastifyJwt, { type FastifyJWTOptions, type JWT } from '@fastify/jwt'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { HttpError } from '../errors/index.js'
import { KeelConfigError } from '../internal/config-error.js'
import { FASTIFY_VERSIONS } from '../internal/fastify-versions.js'
import { type AuthErrorCode, authErrorCodes } from './codes.js'
import { checkGuardOrder, createAuthorize } from './guards.js'
import { headerSegment, type ResolvedKey } from './keys.js'
import { type KeelAuthOptions, type ResolvedAuthOptions, resolveOptions } from './options.js'
import type { RotateResult } from './token-store.js'
import type { KeelAuthHook, KeelTokenInput, KeelTokens, TokenPair } from './types.js'

/** Private claim with the issue time in ms (fractional), compared with a subject's not-before time. */
const issuedAtMsClaim = 'iat_ms'
const maxTokenLength = 8192
const refreshTokenPattern = /^[A-Za-z0-9_-]{43}$/
/** Claims fastify-keel owns in every access token; a user payload cannot override them. */
const reservedClaims = new Set(['iss', 'aud', 'iat', 'exp', 'nbf', 'jti', issuedAtMsClaim])

interface KeyVerifier {
  readonly kid: string
  readonly jwt: JWT
}

interface DecodedToken {
  header: { kid?: unknown }
  payload: Record<string, unknown> & { sub: string; [issuedAtMsClaim]: number }
}

let lastStamp = 0
/**
 * Wall-clock ms, strictly increasing within the process (sub-ms steps when called twice in one ms), so a token
 * issued right after `revokeAll` is newer than it and one issued right before is older.
 */
function stamp(): number {
  const now = Date.now()
  lastStamp = now > lastStamp ? now : lastStamp + 0.001
  return lastStamp
}

function tokenAsCacheKey(token: string): string {
  return token
}

/** fast-jwt warns about every custom `cacheKeyBuilder`, because one that maps two tokens to one key is unsafe. */
const customCacheKeyWarning = 'FAST_JWT_CACHE_KEY_BUILDER_SECURITY_RISK'

let muting = 0
let originalEmitWarning: typeof process.emitWarning | undefined

/**
 * Runs `register` with fast-jwt's custom-cache-key warning muted: keel's key is the token itself, which cannot
 * collide, so the warning would only alarm users at every boot. Any other warning passes through. Counted, so
 * apps booting concurrently restore the original `process.emitWarning` exactly once, after the last one.
 */
async function withoutCacheKeyWarning(register: () => Promise<void>): Promise<void> {
  if (muting++ === 0) {
    const emitWarning = process.emitWarning
    originalEmitWarning = emitWarning
    process.emitWarning = function keelEmitWarning(this: NodeJS.Process, ...args: unknown[]): void {
      const options = args[1]
      // emitWarning(warning, { code }) or the older emitWarning(warning, type, code)
      const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : args[2]
      if (code === customCacheKeyWarning) return
      Reflect.apply(emitWarning, this, args)
    } as typeof emitWarning
  }
  try {
    await register()
  } finally {
    if (--muting === 0 && originalEmitWarning !== undefined) {
      process.emitWarning = originalEmitWarning
      originalEmitWarning = undefined
    }
  }
}

/** Freezes a decoded JWT payload (plain JSON: objects, arrays, primitives) and everything in it. */
function deepFreeze(value: object): void {
  Object.freeze(value)
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key]
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) deepFreeze(child)
  }
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

function jwtOptions(key: ResolvedKey, config: ResolvedAuthOptions): FastifyJWTOptions {
  const secret = key.secret ?? {
    public: key.publicKey!,
    ...(key.privateKey === undefined ? {} : { private: key.privateKey }),
  }
  return {
    secret,
    // Sign options only on keys that sign: fast-jwt builds one signer here and reuses it for every token.
    ...(key.canSign
      ? {
          sign: {
            algorithm: key.algorithm,
            kid: key.kid,
            iss: config.issuer,
            aud: config.audience,
            expiresIn: config.accessTtlSeconds,
          },
        }
      : {}),
    verify: {
      algorithms: [key.algorithm],
      allowedIss: config.issuer,
      allowedAud: config.audience,
      clockTolerance: config.clockToleranceMs,
      requiredClaims: ['sub', 'iat', 'exp', 'jti', issuedAtMsClaim],
      complete: true,
      cache: config.verifyCache > 0 ? config.verifyCache : false,
      // The token itself is the cache key: an exact match, so two tokens never share an entry, without
      // fast-jwt's default SHA-256 of the whole token on every request (most of a cache hit's cost). The
      // cache holds at most `verifyCache` entries of at most `maxTokenLength` characters each.
      cacheKeyBuilder: tokenAsCacheKey,
    },
    // Kept inside a private child context; a name no app uses, to be safe anyway.
    decoratorName: 'keelAuthPayload',
  }
}

const plugin: FastifyPluginAsync<KeelAuthOptions> = async (app, options) => {
  const config = resolveOptions(options)
  const { store } = config
  for (const name of ['authenticate', 'authorize', 'tokens']) {
    if (app.hasDecorator(name)) {
      throw new KeelConfigError(
        'KEEL_ERR_AUTH_DECORATOR_EXISTS',
        `fastify-keel/auth: "app.${name}" is already decorated; register keelAuth once per app`,
      )
    }
  }

  // One @fastify/jwt per key, each in its own encapsulated context: its decorators (`jwt`, `jwtVerify`, …)
  // never reach the app, so an app can register its own @fastify/jwt before or after this plugin.
  const byKid = new Map<string, KeyVerifier>()
  await withoutCacheKeyWarning(async () => {
    for (const key of config.keys.values()) {
      await app.register(async function keelAuthJwt(child: FastifyInstance) {
        await child.register(fastifyJwt, jwtOptions(key, config))
        byKid.set(key.kid, { kid: key.kid, jwt: child.jwt as JWT })
      })
    }
  })
  const signer = byKid.get(config.current.kid)!.jwt
  // Tokens we sign share their header segment per key: find the key by a map lookup, without parsing.
  const bySegment = new Map<string, KeyVerifier>()
  for (const key of config.keys.values()) bySegment.set(headerSegment(key), byKid.get(key.kid)!)

  const realmPrefix = config.realm === undefined ? 'Bearer' : `Bearer realm="${config.realm}"`
  const missingChallenge = realmPrefix
  const invalidChallenge = `${realmPrefix}${config.realm === undefined ? ' ' : ', '}error="invalid_token"`
  const forbiddenChallenge = `${realmPrefix}${config.realm === undefined ? ' ' : ', '}error="insufficient_scope"`

  function authError(code: AuthErrorCode, detail: string, challenge = invalidChallenge): HttpError {
    return new HttpError(authErrorCodes[code].status, detail, { code, headers: { 'www-authenticate': challenge } })
  }
  const invalidToken = () => authError('TOKEN_INVALID', 'The access token is invalid')

  function keyFor(token: string): KeyVerifier | undefined {
    const dot = token.indexOf('.')
    if (dot <= 0) return undefined
    const segment = token.slice(0, dot)
    const known = bySegment.get(segment)
    if (known !== undefined || segment.length > 512) return known
    // A header we did not write byte for byte: read its kid (the key's pinned algorithm still applies).
    try {
      const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
      const kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined
      return typeof kid === 'string' ? byKid.get(kid) : undefined
    } catch {
      return undefined
    }
  }

  const authenticate: KeelAuthHook = async function keelAuthenticate(request: FastifyRequest): Promise<void> {
    const authorization = request.headers.authorization
    if (authorization === undefined || authorization === '') {
      throw authError('TOKEN_MISSING', 'An access token is required', missingChallenge)
    }
    // RFC 6750: `Bearer <token>`, scheme case-insensitive. Any other scheme means no bearer credentials.
    const space = authorization.indexOf(' ')
    const scheme = space === -1 ? authorization : authorization.slice(0, space)
    if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') {
      throw authError('TOKEN_MISSING', 'An access token is required', missingChallenge)
    }
    const token = space === -1 ? '' : authorization.slice(space + 1).trim()
    if (token === '' || token.length > maxTokenLength || token.includes(' ')) throw invalidToken()
    const verifier = keyFor(token)
    if (verifier === undefined) throw invalidToken()
    let decoded: DecodedToken
    try {
      decoded = verifier.jwt.verify<DecodedToken>(token)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'FAST_JWT_EXPIRED') {
        throw authError('TOKEN_EXPIRED', 'The access token has expired')
      }
      throw invalidToken()
    }
    if (decoded.header.kid !== verifier.kid) throw invalidToken()
    const payload = decoded.payload
    // The verified-token cache hands every request with this token the same payload object: frozen on its
    // first verification, so a handler that mutates `request.user` (`roles.push('admin')`) cannot change what
    // later requests with the token are authorized for. Frozen once, so a cache hit costs one check.
    if (!Object.isFrozen(payload)) deepFreeze(payload)
    if (typeof payload.sub !== 'string') throw invalidToken()
    let notBefore = store.getNotBefore(payload.sub)
    if (notBefore !== undefined && typeof notBefore !== 'number') notBefore = await notBefore
    if (notBefore !== undefined && !(payload[issuedAtMsClaim] >= notBefore)) {
      throw authError('TOKEN_REVOKED', 'The access token was revoked')
    }
    request.user = payload as unknown as FastifyRequest['user']
  }

  const unauthenticated = () => authError('TOKEN_MISSING', 'An access token is required', missingChallenge)
  const forbidden = () =>
    new HttpError(403, 'Insufficient permissions', {
      code: 'FORBIDDEN',
      headers: { 'www-authenticate': forbiddenChallenge },
    })
  const authorize = createAuthorize(forbidden, unauthenticated)

  const refreshTtlSeconds = Math.round(config.refreshTtlMs / 1000)

  function signAccessToken(sub: string, claims: Readonly<Record<string, unknown>>, issuedAt: number): string {
    const payload: Record<string, unknown> = {}
    for (const name in claims) if (!reservedClaims.has(name)) payload[name] = claims[name]
    payload.sub = sub
    const roles = claims.roles
    // A single role stored as a string (a common database shape) becomes a one-item list.
    payload.roles = Array.isArray(roles) ? roles : typeof roles === 'string' ? [roles] : []
    payload.jti = randomUUID()
    payload[issuedAtMsClaim] = issuedAt
    return signer.sign(payload)
  }

  function pair(accessToken: string, refreshToken: string): TokenPair {
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: config.accessTtlSeconds,
      refreshTokenExpiresIn: refreshTtlSeconds,
    }
  }

  const refreshErrors: Record<Exclude<RotateResult['status'], 'rotated'>, () => HttpError> = {
    unknown: () => authError('REFRESH_TOKEN_INVALID', 'The refresh token is invalid'),
    expired: () => authError('REFRESH_TOKEN_EXPIRED', 'The refresh token has expired'),
    revoked: () => authError('REFRESH_TOKEN_REVOKED', 'The refresh token was revoked'),
    reused: () => authError('REFRESH_TOKEN_REUSED', 'The refresh token was already used; the session is revoked'),
  }

  const tokens: KeelTokens = {
    async issue(user: KeelTokenInput): Promise<TokenPair> {
      if (typeof user !== 'object' || user === null || typeof user.sub !== 'string' || user.sub === '') {
        throw new TypeError('app.tokens.issue(user) needs a non-empty string "sub"')
      }
      const { sub, ...claims } = user as KeelTokenInput & Record<string, unknown>
      const issuedAt = stamp()
      const refreshToken = randomBytes(32).toString('base64url')
      await store.save(hashRefreshToken(refreshToken), {
        family: randomUUID(),
        sub,
        claims,
        familyIssuedAt: issuedAt,
        expiresAt: Date.now() + config.refreshTtlMs,
      })
      return pair(signAccessToken(sub, claims, issuedAt), refreshToken)
    },

    async rotate(refreshToken: string): Promise<TokenPair> {
      if (typeof refreshToken !== 'string' || !refreshTokenPattern.test(refreshToken)) throw refreshErrors.unknown()
      const next = randomBytes(32).toString('base64url')
      const now = Date.now()
      const result = await store.rotate(
        hashRefreshToken(refreshToken),
        hashRefreshToken(next),
        now,
        now + config.refreshTtlMs,
      )
      if (result.status !== 'rotated') {
        if (result.status === 'reused') {
          app.log.warn(
            { event: 'keel.auth.refresh_token_reused' },
            'refresh token reuse detected; its family is revoked',
          )
        }
        throw refreshErrors[result.status]()
      }
      return pair(signAccessToken(result.record.sub, result.record.claims, stamp()), next)
    },

    async revoke(refreshToken: string): Promise<void> {
      if (typeof refreshToken !== 'string' || !refreshTokenPattern.test(refreshToken)) return
      await store.revokeFamily(hashRefreshToken(refreshToken))
    },

    async revokeAll(sub: string): Promise<void> {
      if (typeof sub !== 'string' || sub === '')
        throw new TypeError('app.tokens.revokeAll(sub) needs a non-empty string')
      // Keep the mark while any older token could still be presented.
      const keepMs = Math.max(config.accessTtlSeconds * 1000, config.refreshTtlMs) + config.clockToleranceMs
      await store.revokeSubject(sub, stamp(), keepMs)
    },
  }

  app.decorate('authenticate', authenticate)
  app.decorate('authorize', authorize)
  app.decorate('tokens', tokens)
  checkGuardOrder(app, authenticate)

  if (config.jwks) {
    const body = JSON.stringify({
      keys: [...config.keys.values()].flatMap((key) => (key.jwk === undefined ? [] : [key.jwk])),
    })
    await app.register(async function keelAuthJwks(child: FastifyInstance) {
      child.get('/.well-known/jwks.json', async function jwks(_request, reply) {
        return reply.type('application/json').header('cache-control', 'public, max-age=300').send(body)
      })
    })
  }

  if (config.ownsStore && store.close !== undefined) {
    const close = store.close.bind(store)
    app.addHook('onClose', async function closeTokenStore() {
      await close()
    })
  }
}

/**
 * Authentication for Fastify 5: JWT access tokens (on @fastify/jwt), rotating refresh tokens with reuse
 * detection, `authenticate` / `authorize` guards and typed `request.user`.
 *
 * Decorates `app.authenticate`, `app.authorize(requirement)` and `app.tokens` (`issue`, `rotate`, `revoke`,
 * `revokeAll`). Register it before the routes that use it.
 *
 * @example
 * await app.register(keelAuth, { secret: process.env.JWT_SECRET!, issuer: 'https://api.example.com', audience: 'example-api' })
 * app.get('/me', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }))
 * app.delete('/users/:id', { onRequest: [app.authenticate, app.authorize('admin')] }, deleteUser)
 * @see docs/auth.md
 */
export const keelAuth = fp(plugin, { name: 'fastify-keel-auth', fastify: FASTIFY_VERSIONS })
export default keelAuth
