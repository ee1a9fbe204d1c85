// Validates the `secret` option (one HS256 secret, or a key set for rotation) into frozen keys, each pinned to
// one algorithm and checked against it: an RS256 key is an RSA key of 2048+ bits, ES256 a P-256 key, and so on.
import { createPublicKey, type KeyObject } from 'node:crypto'
import type { OptionsReader } from '../internal/options.js'

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

/** A validated key. */
export interface ResolvedKey {
  readonly kid: string
  readonly algorithm: KeelJwtAlgorithm
  /** What verifies: the HS256 secret, or the SPKI PEM of the public key. */
  readonly verifyKey: string
  /** What signs: the HS256 secret or the PEM private key; undefined for a verify-only key. */
  readonly signKey: string | undefined
  /** Public JWK (asymmetric keys only), without any private member. */
  readonly jwk: Readonly<Record<string, unknown>> | undefined
}

/** Key id given to a plain string `secret`. */
export const DEFAULT_KID = 'default'

const ALGORITHMS: readonly KeelJwtAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA']
const MIN_SECRET_BYTES = 32
const KID = /^[\x21-\x7e]{1,128}$/
const KEY_SET_FIELDS = ['kid', 'algorithm', 'secret', 'privateKey', 'publicKey']
const EXPECTED_KEY: Readonly<Record<KeelJwtAlgorithm, string>> = {
  HS256: 'a shared secret',
  RS256: 'an RSA key of 2048 bits or more',
  ES256: 'a P-256 EC key',
  EdDSA: 'an Ed25519 key',
}

function checkSecret(read: OptionsReader, path: string, secret: unknown): string {
  const code = 'KEEL_ERR_AUTH_INVALID_SECRET'
  if (typeof secret !== 'string' || secret === '') {
    throw read.error(path, 'must be a non-empty string', secret, 'pass at least 32 random bytes', {
      code,
      sensitive: true,
    })
  }
  const bytes = Buffer.byteLength(secret, 'utf8')
  if (bytes < MIN_SECRET_BYTES) {
    throw read.error(
      path,
      `is ${bytes} bytes; an HS256 secret needs at least ${MIN_SECRET_BYTES} random bytes`,
      secret,
      'generate one with `openssl rand -base64 32`',
      { code: 'KEEL_ERR_AUTH_SECRET_TOO_SHORT', sensitive: true },
    )
  }
  return secret
}

function fits(key: KeyObject, algorithm: KeelJwtAlgorithm): boolean {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  if (algorithm === 'RS256') return type === 'rsa' && (details?.modulusLength ?? 0) >= 2048
  if (algorithm === 'ES256') return type === 'ec' && details?.namedCurve === 'prime256v1'
  return algorithm === 'EdDSA' && type === 'ed25519'
}

function resolveKey(read: OptionsReader, raw: unknown, path: string): ResolvedKey {
  const invalid = { code: 'KEEL_ERR_AUTH_INVALID_KEY' as const }
  const key = read.object(path, raw, KEY_SET_FIELDS, {
    ...invalid,
    fix: 'pass { kid, algorithm, secret | privateKey | publicKey }',
  })
  for (const field of ['kid', 'algorithm']) {
    if (key[field] === undefined) throw read.error(`${path}.${field}`, 'is required', undefined, 'set it', invalid)
  }
  const kid = read.string(`${path}.kid`, key.kid, '', {
    ...invalid,
    pattern: KID,
    fix: 'use 1 to 128 printable ASCII characters',
  })
  const algorithm = read.oneOf(`${path}.algorithm`, key.algorithm, ALGORITHMS, 'HS256', invalid)
  if (algorithm === 'HS256') {
    if (key.privateKey !== undefined || key.publicKey !== undefined) {
      throw read.error(path, 'is HS256 but has PEM keys', 'an object', 'give "secret" only', invalid)
    }
    const secret = checkSecret(read, `${path}.secret`, key.secret)
    return Object.freeze({ kid, algorithm, verifyKey: secret, signKey: secret, jwk: undefined })
  }
  if (key.secret !== undefined) {
    throw read.error(`${path}.secret`, `is set on an ${algorithm} key`, 'a secret', 'give PEM keys instead', {
      ...invalid,
      sensitive: true,
    })
  }
  const privatePem = key.privateKey
  const publicPem = key.publicKey
  if (privatePem === undefined && publicPem === undefined) {
    throw read.error(path, `(${algorithm}) has no key material`, undefined, 'give "publicKey" or "privateKey"', invalid)
  }
  if (privatePem !== undefined && (typeof privatePem !== 'string' || !privatePem.includes('PRIVATE KEY'))) {
    throw read.error(`${path}.privateKey`, 'must be a PEM private key', privatePem, 'pass the PEM text', {
      ...invalid,
      sensitive: true,
    })
  }
  if (publicPem !== undefined && (typeof publicPem !== 'string' || publicPem.includes('PRIVATE KEY'))) {
    throw read.error(`${path}.publicKey`, 'must be a PEM public key', publicPem, 'pass the PEM text', {
      ...invalid,
      sensitive: true,
    })
  }
  const parse = (pem: string, field: string): KeyObject => {
    try {
      // createPublicKey accepts a private PEM too and returns its public half.
      return createPublicKey(pem)
    } catch {
      throw read.error(`${path}.${field}`, 'is not a valid PEM key', 'a string', 'pass the PEM text', {
        ...invalid,
        sensitive: true,
      })
    }
  }
  const derived = privatePem === undefined ? undefined : parse(privatePem, 'privateKey')
  const given = publicPem === undefined ? undefined : parse(publicPem, 'publicKey')
  if (derived !== undefined && given !== undefined && !given.equals(derived)) {
    throw read.error(`${path}.publicKey`, 'does not match its privateKey', 'another key', 'pass the pair', {
      ...invalid,
      sensitive: true,
    })
  }
  const publicKey = (given ?? derived) as KeyObject
  if (!fits(publicKey, algorithm)) {
    throw read.error(
      path,
      `must be ${EXPECTED_KEY[algorithm]} for ${algorithm}`,
      'another key type',
      'pass a matching key',
      {
        ...invalid,
        sensitive: true,
      },
    )
  }
  return Object.freeze({
    kid,
    algorithm,
    verifyKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signKey: privatePem,
    jwk: Object.freeze({ ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' }),
  })
}

/** Validates the `secret` option into the keys by kid plus the current (signing) key. */
export function resolveKeys(
  read: OptionsReader,
  secret: unknown,
): { keys: ReadonlyMap<string, ResolvedKey>; current: ResolvedKey } {
  if (typeof secret === 'string') {
    const value = checkSecret(read, 'secret', secret)
    const key: ResolvedKey = Object.freeze({
      kid: DEFAULT_KID,
      algorithm: 'HS256',
      verifyKey: value,
      signKey: value,
      jwk: undefined,
    })
    return { keys: new Map([[DEFAULT_KID, key]]), current: key }
  }
  const code = 'KEEL_ERR_AUTH_INVALID_SECRET'
  const fix = 'pass a string of 32+ random bytes or { keys, current }'
  if (secret === undefined) throw read.error('secret', 'is required', undefined, fix, { code })
  const set = read.object('secret', secret, ['keys', 'current'], {
    code,
    sensitive: true,
    fix,
  })
  if (!Array.isArray(set.keys) || set.keys.length === 0) {
    throw read.error('secret.keys', 'must be a non-empty array of keys', set.keys, 'list at least one key', { code })
  }
  const keys = new Map<string, ResolvedKey>()
  set.keys.forEach((raw: unknown, index: number) => {
    const key = resolveKey(read, raw, `secret.keys[${index}]`)
    if (keys.has(key.kid)) {
      throw read.error(`secret.keys[${index}].kid`, 'is configured twice', key.kid, 'give each key its own id', {
        code: 'KEEL_ERR_AUTH_DUPLICATE_KID',
      })
    }
    keys.set(key.kid, key)
  })
  const current = typeof set.current === 'string' ? keys.get(set.current) : undefined
  if (current === undefined) {
    throw read.error(
      'secret.current',
      'names no configured key',
      set.current,
      `use one of ${[...keys.keys()].join(', ')}`,
      {
        code: 'KEEL_ERR_AUTH_UNKNOWN_CURRENT_KEY',
      },
    )
  }
  if (current.signKey === undefined) {
    throw read.error(
      'secret.current',
      'names a key without privateKey, so it cannot sign',
      current.kid,
      'add its privateKey or pick another key',
      {
        code: 'KEEL_ERR_AUTH_CURRENT_KEY_CANNOT_SIGN',
      },
    )
  }
  return { keys, current }
}
