// The keys of one identity provider, fetched from its JWK Set and kept by one policy:
// - fresh for the response's `Cache-Control` max-age bounded by [minCacheTtl, maxCacheTtl]; past it, the next token
//   starts a refresh in the background and is verified with the keys at hand;
// - usable until `maxCacheTtl` after the last successful fetch: an identity provider that cannot be reached does not
//   take the API down while the keys it last published are recent enough; past that, "keys unavailable" (503);
// - at most one fetch per `refreshCooldown`, whatever asks for it (a stale set, an unknown `kid`, a readiness probe),
//   and concurrent askers share the one in flight: 1,000 tokens with 1,000 made-up `kid`s cost one fetch.
// Choosing a key for a token is jose's `createLocalJWKSet`: the token's `alg` must be one the key's `kty` (and `crv`)
// can do, equal to the key's own `alg` when it has one, and the key's `use`/`key_ops` must allow verifying.
import type { FastifyBaseLogger } from 'fastify'
import type { createLocalJWKSet, errors, JWTHeaderParameters } from 'jose'
import { type FetchBounds, fetchDocument } from './fetch-document.js'
import { isFetchableUrl, type ResolvedIssuer } from './options.js'

/** The part of jose this file uses (jose is loaded at register time, as an optional peer dependency). */
export interface JoseKeys {
  readonly createLocalJWKSet: typeof createLocalJWKSet
  readonly errors: Pick<typeof errors, 'JWKSNoMatchingKey'>
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>
export type VerificationKey = Awaited<ReturnType<LocalKeySet>>

/** Thrown when a token cannot be checked because no usable key of its issuer is at hand: a 503, not a 401. */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError'
}

interface KeySnapshot {
  readonly select: LocalKeySet
  /** Each key serialised, to notice keys that were removed by a refresh. */
  readonly members: ReadonlySet<string>
  readonly freshUntil: number
  readonly usableUntil: number
}

/** Most keys accepted in one JWK Set; more is not a signing-key set. */
const MAX_KEYS = 100
const REPORT_INTERVAL_MS = 60_000

/** The keys of one identity provider; see the file header for the policy. */
export class RemoteKeys {
  readonly #issuer: ResolvedIssuer
  readonly #jose: JoseKeys
  readonly #log: FastifyBaseLogger
  readonly #onKeysRemoved: () => void
  readonly #bounds: FetchBounds
  #keys: KeySnapshot | undefined
  #jwksUrl: string | undefined
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastAttemptFailed = false
  #inflight: Promise<KeySnapshot | undefined> | undefined
  #failures = 0
  #lastReport = Number.NEGATIVE_INFINITY

  constructor(
    issuer: ResolvedIssuer,
    jose: JoseKeys,
    log: FastifyBaseLogger,
    signal: AbortSignal,
    onKeysRemoved: () => void,
  ) {
    this.#issuer = issuer
    this.#jose = jose
    this.#log = log
    this.#onKeysRemoved = onKeysRemoved
    this.#bounds = { timeoutMs: issuer.fetchTimeoutMs, maxBytes: issuer.maxJwksBytes, signal }
    this.#jwksUrl = issuer.keysFrom.kind === 'jwks' ? issuer.keysFrom.url : undefined
    this.getKey = this.getKey.bind(this)
  }

  /**
   * jose's key function: the one key that may verify this token. Rejects with {@link KeysUnavailableError} when no
   * usable key set is at hand, and with jose's `JWKSNoMatchingKey` when the set has no key for the token.
   */
  async getKey(header: JWTHeaderParameters): Promise<VerificationKey> {
    const now = Date.now()
    let keys = this.#keys
    if (keys === undefined || now >= keys.usableUntil) {
      keys = await this.#refresh(now)
      if (keys === undefined) throw new KeysUnavailableError(`no usable keys of ${this.#issuer.issuer}`)
    } else if (now >= keys.freshUntil) {
      void this.#refresh(now)
    }
    try {
      return await keys.select(header)
    } catch (error) {
      if (!(error instanceof this.#jose.errors.JWKSNoMatchingKey)) throw error
      // An unknown kid: maybe a new key (rotation), so fetch again unless one was fetched within the cooldown.
      const next = await this.#refresh(Date.now())
      if (next !== undefined && next !== keys) return next.select(header)
      if (this.#lastAttemptFailed)
        throw new KeysUnavailableError(`no key for this token, and ${this.#issuer.issuer} cannot be reached`)
      throw error
    }
  }

  /** Resolves when usable keys are at hand (fetching them when not, within the cooldown); rejects otherwise. */
  async check(): Promise<void> {
    const now = Date.now()
    const keys = this.#keys !== undefined && now < this.#keys.usableUntil ? this.#keys : await this.#refresh(now)
    if (keys === undefined) throw new KeysUnavailableError(`no usable keys of ${this.#issuer.issuer}`)
  }

  #usable(now: number): KeySnapshot | undefined {
    return this.#keys !== undefined && now < this.#keys.usableUntil ? this.#keys : undefined
  }

  /** Fetches the keys unless a fetch is in flight (shared) or one started within the cooldown. Never rejects. */
  #refresh(now: number): Promise<KeySnapshot | undefined> {
    if (this.#inflight !== undefined) return this.#inflight
    if (now - this.#lastAttempt < this.#issuer.cooldownMs) return Promise.resolve(this.#usable(now))
    this.#lastAttempt = now
    const inflight = this.#fetchKeys().then(
      (keys) => {
        this.#succeeded()
        return keys
      },
      (error: unknown) => {
        this.#failed(error)
        return this.#usable(Date.now())
      },
    )
    this.#inflight = inflight
    inflight.finally(() => {
      if (this.#inflight === inflight) this.#inflight = undefined
    })
    return inflight
  }

  async #fetchKeys(): Promise<KeySnapshot> {
    const jwksUrl = this.#jwksUrl ?? (await this.#discover())
    let fetched: Awaited<ReturnType<typeof fetchDocument>>
    try {
      fetched = await fetchDocument(jwksUrl, this.#bounds)
    } catch (error) {
      // A discovered jwks_uri that fails is looked up again next time (the provider may have moved it).
      if (this.#issuer.keysFrom.kind === 'discovery') this.#jwksUrl = undefined
      throw error
    }
    const body = fetched.body as { keys?: unknown }
    if (!Array.isArray(body?.keys) || body.keys.length > MAX_KEYS) {
      throw new Error(`the JWK Set of ${jwksUrl} has no "keys" list of at most ${MAX_KEYS} keys`)
    }
    const select = this.#jose.createLocalJWKSet(body as Parameters<typeof createLocalJWKSet>[0])
    const now = Date.now()
    const { minCacheTtlMs, maxCacheTtlMs } = this.#issuer
    const freshMs = Math.min(Math.max(fetched.maxAgeMs ?? minCacheTtlMs, minCacheTtlMs), maxCacheTtlMs)
    const members = new Set(body.keys.map((key: unknown) => JSON.stringify(key)))
    const previous = this.#keys
    this.#keys = { select, members, freshUntil: now + freshMs, usableUntil: now + maxCacheTtlMs }
    // A key the provider withdrew (rotation, compromise) must stop verifying at once, cached tokens included.
    if (previous !== undefined && [...previous.members].some((member) => !members.has(member))) this.#onKeysRemoved()
    return this.#keys
  }

  /** The `jwks_uri` of the discovery document, whose `issuer` must be the configured one (OpenID Discovery §4.3). */
  async #discover(): Promise<string> {
    const { body } = await fetchDocument(this.#issuer.keysFrom.url, this.#bounds)
    const document = body as { issuer?: unknown; jwks_uri?: unknown } | null
    if (typeof document !== 'object' || document === null || document.issuer !== this.#issuer.issuer) {
      throw new Error(`the discovery document of ${this.#issuer.issuer} names another issuer`)
    }
    let url: URL | undefined
    try {
      url = typeof document.jwks_uri === 'string' ? new URL(document.jwks_uri) : undefined
    } catch {
      url = undefined
    }
    if (url === undefined || !isFetchableUrl(url)) {
      throw new Error(`the discovery document of ${this.#issuer.issuer} has no https:// jwks_uri`)
    }
    this.#jwksUrl = url.href
    return url.href
  }

  #failed(error: unknown): void {
    this.#lastAttemptFailed = true
    this.#failures++
    const now = Date.now()
    if (now - this.#lastReport < REPORT_INTERVAL_MS) return
    this.#lastReport = now
    const usable = this.#usable(now)
    this.#log.error(
      {
        err: error,
        event: 'keel.auth.jwks_fetch_failed',
        issuer: this.#issuer.issuer,
        failures: this.#failures,
        keysUsableUntil: usable === undefined ? null : new Date(usable.usableUntil).toISOString(),
      },
      usable === undefined
        ? 'keelAuth: the JWK Set of an identity provider cannot be fetched and no usable keys are cached; its tokens get 503 TOKEN_KEYS_UNAVAILABLE (reported at most once a minute, with the count)'
        : 'keelAuth: the JWK Set of an identity provider cannot be fetched; the cached keys are used until keysUsableUntil (reported at most once a minute, with the count)',
    )
    this.#failures = 0
  }

  #succeeded(): void {
    if (!this.#lastAttemptFailed) return
    this.#lastAttemptFailed = false
    this.#log.info(
      { event: 'keel.auth.jwks_fetch_recovered', issuer: this.#issuer.issuer, unreportedFailures: this.#failures },
      'keelAuth: the JWK Set of an identity provider can be fetched again',
    )
    this.#failures = 0
  }
}
