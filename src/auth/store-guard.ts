// Every token-store call goes through here: bounded by `storeTimeout`, and any failure (a throw, a rejection, no
// answer in time, a reply of the wrong shape) becomes the one 503 `TOKEN_STORE_UNAVAILABLE` with `Retry-After`.
// Failures are logged at most once a minute with a count, never once per request, and one line says when the
// store answers again. Answers a store gives synchronously (MemoryTokenStore) stay synchronous: no timer, no
// promise on the hot path.
import type { FastifyBaseLogger } from 'fastify'
import type { HttpError } from '../errors/index.js'
import type { KeelSession, RefreshTokenRecord, RotateRequest, RotateResult, TokenStore } from './token-store.js'

const REPORT_INTERVAL_MS = 60_000
const ROTATE_STATUSES: ReadonlySet<unknown> = new Set(['rotated', 'graced', 'reused', 'revoked', 'expired', 'unknown'])

type Check<T> = (value: unknown) => value is T

const isNotBefore = (value: unknown): value is number | undefined | null =>
  value === undefined || value === null || typeof value === 'number'
const isAnything = (_value: unknown): _value is undefined => true
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean'

function isRecord(record: Partial<RefreshTokenRecord> | undefined): boolean {
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.sub === 'string' &&
    typeof record.family === 'string' &&
    typeof record.claims === 'object' &&
    record.claims !== null &&
    typeof record.familyIssuedAt === 'number' &&
    typeof record.sessionExpiresAt === 'number'
  )
}

function isRotateResult(value: unknown): value is RotateResult {
  if (typeof value !== 'object' || value === null) return false
  const result = value as {
    status?: unknown
    record?: Partial<RefreshTokenRecord>
    sealedNext?: unknown
    nextExpiresAt?: unknown
  }
  if (!ROTATE_STATUSES.has(result.status)) return false
  if (result.status === 'rotated') return isRecord(result.record)
  if (result.status === 'graced') {
    return isRecord(result.record) && typeof result.sealedNext === 'string' && typeof result.nextExpiresAt === 'number'
  }
  return true
}

function isSessionList(value: unknown): value is KeelSession[] {
  return (
    Array.isArray(value) &&
    value.every(
      (session: Partial<KeelSession> | null) =>
        typeof session === 'object' &&
        session !== null &&
        typeof session.id === 'string' &&
        typeof session.createdAt === 'number' &&
        typeof session.lastUsedAt === 'number' &&
        typeof session.expiresAt === 'number' &&
        typeof session.metadata === 'object' &&
        session.metadata !== null,
    )
  )
}

/** A {@link TokenStore} seen through its timeout and failure policy. */
export class GuardedStore {
  readonly #store: TokenStore
  readonly #timeoutMs: number
  readonly #log: FastifyBaseLogger
  readonly #unavailable: (cause: unknown) => HttpError
  #failing = false
  #failures = 0
  #lastFailureReport = Number.NEGATIVE_INFINITY
  #lastRecoveryReport = Number.NEGATIVE_INFINITY

  constructor(
    store: TokenStore,
    timeoutMs: number,
    log: FastifyBaseLogger,
    unavailable: (cause: unknown) => HttpError,
  ) {
    this.#store = store
    this.#timeoutMs = timeoutMs
    this.#log = log
    this.#unavailable = unavailable
  }

  save(hash: string, record: RefreshTokenRecord): Promise<void> {
    return this.#call('save', () => this.#store.save(hash, record), isAnything)
  }

  rotate(request: RotateRequest): Promise<RotateResult> {
    return this.#call('rotate', () => this.#store.rotate(request), isRotateResult)
  }

  revokeFamily(hash: string, sub: string | undefined): Promise<boolean> {
    return this.#call('revokeFamily', () => this.#store.revokeFamily(hash, sub), isBoolean)
  }

  revokeSession(sub: string, sid: string, now: number): Promise<boolean> {
    return this.#call('revokeSession', () => this.#store.revokeSession(sub, sid, now), isBoolean)
  }

  listSessions(sub: string, now: number, limit: number): Promise<KeelSession[]> {
    return this.#call('listSessions', () => this.#store.listSessions(sub, now, limit), isSessionList)
  }

  revokeSubject(sub: string, notBefore: number, ttlMs: number): Promise<void> {
    return this.#call('revokeSubject', () => this.#store.revokeSubject(sub, notBefore, ttlMs), isAnything)
  }

  /**
   * Whether a token issued at `issuedAt` is refused by its subject's not-before time (`revokeAll`). Synchronous
   * when the store answers synchronously, so `authenticate` awaits nothing with MemoryTokenStore; otherwise the
   * one bounded promise resolves to the answer itself.
   */
  refusesIssuedAt(sub: string, issuedAt: number): boolean | Promise<boolean> {
    let answer: unknown
    try {
      answer = this.#store.getNotBefore(sub)
    } catch (error) {
      throw this.#failed('getNotBefore', error)
    }
    if (answer === undefined || typeof answer === 'number') {
      if (this.#failing) this.#answered()
      return answer !== undefined && !(issuedAt >= answer)
    }
    return this.#bounded(
      'getNotBefore',
      answer,
      isNotBefore,
      (notBefore) => notBefore != null && !(issuedAt >= notBefore),
    )
  }

  /**
   * Whether an access token of session `sid` issued at `issuedAt` is refused (the session ended, or `revokeAll`);
   * synchronous when the store answers synchronously, like {@link GuardedStore.refusesIssuedAt}.
   */
  refusesSession(sub: string, sid: string, issuedAt: number, now: number): boolean | Promise<boolean> {
    let answer: unknown
    try {
      answer = this.#store.checkSession(sub, sid, issuedAt, now)
    } catch (error) {
      throw this.#failed('checkSession', error)
    }
    if (typeof answer === 'boolean') {
      if (this.#failing) this.#answered()
      return !answer
    }
    return this.#bounded('checkSession', answer, isBoolean, (live) => !live)
  }

  /**
   * Resolves when the store answers: its `ping()` when it has one, else its last call did not fail. Rejects with
   * the 503 otherwise.
   */
  check(): Promise<void> {
    const store = this.#store
    if (typeof store.ping === 'function') return this.#call('ping', () => store.ping!(), isAnything)
    return this.#failing ? Promise.reject(this.#unavailable(undefined)) : Promise.resolve()
  }

  #call<T>(operation: string, run: () => unknown, check: Check<T>): Promise<T> {
    let answer: unknown
    try {
      answer = run()
    } catch (error) {
      return Promise.reject(this.#failed(operation, error))
    }
    return this.#bounded(operation, answer, check)
  }

  /** Waits for `answer` up to the timeout, checks its shape, and resolves it (through `map`, when given). */
  #bounded<T, R = T>(operation: string, answer: unknown, check: Check<T>, map?: (value: T) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false
      const fail = (cause: unknown) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        reject(this.#failed(operation, cause))
      }
      const timer = setTimeout(fail, this.#timeoutMs, new Error(`no answer within ${this.#timeoutMs} ms`))
      timer.unref()
      Promise.resolve(answer).then((value) => {
        if (settled) return
        if (!check(value)) return fail(new TypeError(`unexpected reply from TokenStore.${operation}`))
        settled = true
        clearTimeout(timer)
        if (this.#failing) this.#answered()
        resolve(map === undefined ? (value as unknown as R) : map(value))
      }, fail)
    })
  }

  #failed(operation: string, cause: unknown): HttpError {
    this.#failing = true
    this.#failures++
    const now = Date.now()
    if (now - this.#lastFailureReport >= REPORT_INTERVAL_MS) {
      this.#log.error(
        { err: cause, event: 'keel.auth.token_store_failed', operation, failures: this.#failures },
        'keelAuth: token store failed; requests that need it get 503 TOKEN_STORE_UNAVAILABLE (reported at most once a minute, with the count)',
      )
      this.#lastFailureReport = now
      this.#failures = 0
    }
    return this.#unavailable(cause)
  }

  #answered(): void {
    this.#failing = false
    const now = Date.now()
    if (now - this.#lastRecoveryReport < REPORT_INTERVAL_MS) return
    this.#lastRecoveryReport = now
    this.#log.info(
      { event: 'keel.auth.token_store_recovered', unreportedFailures: this.#failures },
      'keelAuth: token store answers again',
    )
  }
}
