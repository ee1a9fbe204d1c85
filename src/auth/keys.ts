import { createPublicKey, type KeyObject } from 'node:crypto'
import { describeValue, KeelConfigError } from '../internal/config-error.js'

/** Algorithms a signing key may use. Each key is pinned to exactly one. */
export type KeelJwtAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA'

/**
 * One signing/verification key of a key set.
 * @see docs/auth.md#secret
 */
export interface KeelAuthKey {
  /** Key id, written to the token header (`kid`) and used to pick the verification key. */
  kid: string
  /** The only algorithm accepted for this key. */
  algorithm: KeelJwtAlgorithm
  /** HS256 only: the shared secret, at least 32 bytes. */
  secret?: string
  /** RS256/ES256/EdDSA: PEM private key. Needed for the `current` key; omit it on keys that only verify. */
  privateKey?: string
  /** RS256/ES256/EdDSA: PEM public key (derived from `privateKey` when omitted). */
  publicKey?: string
}

/** A key set for rotation: every key verifies, `current` signs. */
export interface KeelAuthKeySet {
  /** All keys that verify tokens. Remove a key to invalidate every token it signed. */
  keys: KeelAuthKey[]
  /** `kid` of the key that signs new tokens. */
  current: string
}

/** A validated key, ready for @fastify/jwt. */
export interface ResolvedKey {
  readonly kid: string
  readonly algorithm: KeelJwtAlgorithm
  /** HS256 secret, or undefined for asymmetric keys. */
  readonly secret?: string
  readonly privateKey?: string
  readonly publicKey?: string
  /** Whether this key can sign. */
  readonly canSign: boolean
  /** Public JWK (asymmetric keys only), without any private member. */
  readonly jwk?: Readonly<Record<string, unknown>>
}

/** Key id given to a plain string `secret`. */
export const defaultKid = 'default'

const algorithms = new Set<string>(['HS256', 'RS256', 'ES256', 'EdDSA'])
const minSecretBytes = 32
const kidPattern = /^[\x21-\x7e]{1,128}$/

function fail(code: `KEEL_ERR_AUTH_${string}`, message: string): never {
  throw new KeelConfigError(code, message)
}

function checkSecret(secret: unknown, where: string): string {
  if (typeof secret !== 'string' || secret === '') {
    fail('KEEL_ERR_AUTH_INVALID_SECRET', `fastify-keel/auth: ${where} must be a non-empty string`)
  }
  const bytes = Buffer.byteLength(secret, 'utf8')
  if (bytes < minSecretBytes) {
    fail(
      'KEEL_ERR_AUTH_SECRET_TOO_SHORT',
      `fastify-keel/auth: ${where} is ${bytes} bytes; an HS256 secret needs at least ${minSecretBytes} random bytes ` +
        "(e.g. node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\")",
    )
  }
  return secret
}

function parsePublicKey(pem: string, where: string): KeyObject {
  try {
    return createPublicKey(pem)
  } catch {
    return fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} is not a valid PEM key`)
  }
}

function checkKeyType(key: KeyObject, algorithm: KeelJwtAlgorithm, where: string): void {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  const ok =
    (algorithm === 'RS256' && type === 'rsa' && (details?.modulusLength ?? 0) >= 2048) ||
    (algorithm === 'ES256' && type === 'ec' && details?.namedCurve === 'prime256v1') ||
    (algorithm === 'EdDSA' && (type === 'ed25519' || type === 'ed448'))
  if (!ok) {
    const expected =
      algorithm === 'RS256'
        ? 'an RSA key of 2048 bits or more'
        : algorithm === 'ES256'
          ? 'a P-256 EC key'
          : 'an Ed25519 key'
    fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} must be ${expected} for ${algorithm}`)
  }
}

function resolveKey(raw: unknown, index: number): ResolvedKey {
  const where = `secret.keys[${index}]`
  if (typeof raw !== 'object' || raw === null) {
    fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} must be an object, got ${describeValue(raw)}`)
  }
  const key = raw as Partial<Record<keyof KeelAuthKey, unknown>>
  if (typeof key.kid !== 'string' || !kidPattern.test(key.kid)) {
    fail(
      'KEEL_ERR_AUTH_INVALID_KEY',
      `fastify-keel/auth: ${where}.kid must be 1 to 128 printable ASCII characters, got ${describeValue(key.kid)}`,
    )
  }
  const { kid } = key
  if (typeof key.algorithm !== 'string' || !algorithms.has(key.algorithm)) {
    fail(
      'KEEL_ERR_AUTH_INVALID_KEY',
      `fastify-keel/auth: ${where}.algorithm must be HS256, RS256, ES256 or EdDSA, got ${describeValue(key.algorithm)}`,
    )
  }
  const algorithm = key.algorithm as KeelJwtAlgorithm
  if (algorithm === 'HS256') {
    if (key.privateKey !== undefined || key.publicKey !== undefined) {
      fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} is HS256: give "secret", not PEM keys`)
    }
    const secret = checkSecret(key.secret, `${where}.secret`)
    return Object.freeze({ kid, algorithm, secret, canSign: true })
  }
  if (key.secret !== undefined) {
    fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} is ${algorithm}: give PEM keys, not "secret"`)
  }
  if (key.privateKey === undefined && key.publicKey === undefined) {
    fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where} (${algorithm}) needs "publicKey" or "privateKey"`)
  }
  let privateKey: string | undefined
  let publicKey: KeyObject
  if (key.privateKey !== undefined) {
    if (typeof key.privateKey !== 'string' || !key.privateKey.includes('PRIVATE KEY')) {
      fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where}.privateKey must be a PEM private key`)
    }
    privateKey = key.privateKey
    // createPublicKey accepts a private PEM and returns its public half.
    publicKey = parsePublicKey(privateKey, `${where}.privateKey`)
  }
  if (key.publicKey !== undefined) {
    if (typeof key.publicKey !== 'string' || key.publicKey.includes('PRIVATE KEY')) {
      fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where}.publicKey must be a PEM public key`)
    }
    const given = parsePublicKey(key.publicKey, `${where}.publicKey`)
    if (privateKey !== undefined && !given.equals(publicKey!)) {
      fail('KEEL_ERR_AUTH_INVALID_KEY', `fastify-keel/auth: ${where}.publicKey does not match its privateKey`)
    }
    publicKey = given
  }
  checkKeyType(publicKey!, algorithm, where)
  const publicPem = publicKey!.export({ type: 'spki', format: 'pem' }).toString()
  const jwk = Object.freeze({ ...publicKey!.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' })
  return Object.freeze({ kid, algorithm, privateKey, publicKey: publicPem, canSign: privateKey !== undefined, jwk })
}

/** Validates the `secret` option into keys by kid plus the current key. */
export function resolveKeys(secret: unknown): { keys: ReadonlyMap<string, ResolvedKey>; current: ResolvedKey } {
  if (typeof secret === 'string') {
    const key: ResolvedKey = Object.freeze({
      kid: defaultKid,
      algorithm: 'HS256',
      secret: checkSecret(secret, 'secret'),
      canSign: true,
    })
    return { keys: new Map([[defaultKid, key]]), current: key }
  }
  if (typeof secret !== 'object' || secret === null || !Array.isArray((secret as { keys?: unknown }).keys)) {
    fail(
      'KEEL_ERR_AUTH_INVALID_SECRET',
      `fastify-keel/auth: "secret" must be a string or { keys, current }, got ${typeof secret === 'object' ? describeValue(secret) : typeof secret}`,
    )
  }
  const set = secret as { keys: unknown[]; current?: unknown }
  if (set.keys.length === 0) fail('KEEL_ERR_AUTH_INVALID_SECRET', 'fastify-keel/auth: "secret.keys" is empty')
  const keys = new Map<string, ResolvedKey>()
  set.keys.forEach((raw, index) => {
    const key = resolveKey(raw, index)
    if (keys.has(key.kid))
      fail('KEEL_ERR_AUTH_DUPLICATE_KID', `fastify-keel/auth: kid "${key.kid}" is configured twice`)
    keys.set(key.kid, key)
  })
  const current = typeof set.current === 'string' ? keys.get(set.current) : undefined
  if (current === undefined) {
    fail(
      'KEEL_ERR_AUTH_UNKNOWN_CURRENT_KEY',
      `fastify-keel/auth: "secret.current" must be the kid of a configured key, got ${describeValue(set.current)}`,
    )
  }
  if (!current.canSign) {
    fail(
      'KEEL_ERR_AUTH_CURRENT_KEY_CANNOT_SIGN',
      `fastify-keel/auth: the current key "${current.kid}" has no privateKey, so it cannot sign tokens`,
    )
  }
  return { keys, current }
}

/** The header segment fast-jwt writes for a key (`{"alg","typ","kid"}`), used to find the key without parsing. */
export function headerSegment(key: ResolvedKey): string {
  return Buffer.from(JSON.stringify({ alg: key.algorithm, typ: 'JWT', kid: key.kid })).toString('base64url')
}
