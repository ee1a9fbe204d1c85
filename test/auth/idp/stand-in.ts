// A local identity provider for the resource-server tests: a Fastify server on 127.0.0.1 serving an OpenID discovery
// document and a JWK Set, with keys made by node:crypto. Tests swap the JWK Set (rotation), take the server down,
// make it hang or answer too much, and count what keel fetched. `sign` makes any token, hostile ones included.
import {
  constants,
  createHmac,
  sign as cryptoSign,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
} from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import type { KeelIssuerAlgorithm } from 'fastify-keel/resource-server'

export type StandInAlgorithm = KeelIssuerAlgorithm | 'HS256'

/** One key of the stand-in: its private half signs, its public JWK is what the JWK Set publishes. */
export interface StandInKey {
  readonly kid: string
  readonly alg: KeelIssuerAlgorithm
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The published JWK: `kid`, `alg`, `use: 'sig'` unless changed by `jwk` when the key was made. */
  readonly jwk: JsonWebKey & { kid: string }
}

const KEY_TYPES: Readonly<Record<KeelIssuerAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }>> = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  RS384: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  RS512: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS384: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS512: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  ES384: () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
  ES512: () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
}

/** Makes a key; `jwk` overrides members of the published JWK (`{ alg: undefined }` publishes it without `alg`). */
export function makeKey(
  alg: KeelIssuerAlgorithm,
  kid: string = randomUUID(),
  jwk: Partial<Record<string, unknown>> = {},
): StandInKey {
  const { privateKey, publicKey } = KEY_TYPES[alg]()
  const published = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig', ...jwk }
  for (const [name, value] of Object.entries(published))
    if (value === undefined) delete (published as Record<string, unknown>)[name]
  return { kid, alg, privateKey, publicKey, jwk: published as JsonWebKey & { kid: string } }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const DIGEST: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/** Signs `header.payload` with the algorithm named by `alg` (any of them, `none` included), as a JWT library would. */
export function signJwt(
  header: Record<string, unknown>,
  payload: unknown,
  key: KeyObject | string | undefined,
  alg = String(header.alg),
): string {
  const input = `${b64(header)}.${b64(payload)}`
  if (key === undefined || alg === 'none') return `${input}.`
  const digest = DIGEST[alg.slice(2)] ?? 'sha256'
  let signature: Buffer
  if (alg.startsWith('HS'))
    signature = createHmac(digest, key as string)
      .update(input)
      .digest()
  else if (alg.startsWith('RS')) signature = cryptoSign(digest, Buffer.from(input), key as KeyObject)
  else if (alg.startsWith('PS')) {
    signature = cryptoSign(digest, Buffer.from(input), {
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    })
  } else if (alg.startsWith('ES')) {
    signature = cryptoSign(digest, Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' })
  } else signature = cryptoSign(null, Buffer.from(input), key as KeyObject)
  return `${input}.${signature.toString('base64url')}`
}

/** How the stand-in answers the JWK Set: normally, 503, never (it hangs), or with a body over any sane limit. */
export type StandInMode = 'up' | 'down' | 'hang' | 'huge'

export interface StandIn {
  /** `http://127.0.0.1:<port>` (no trailing slash): the `iss` of its tokens and of its discovery document. */
  readonly issuer: string
  readonly jwksUri: string
  readonly audience: string
  /** The keys published now; assign a new list to rotate. */
  keys: StandInKey[]
  /** `Cache-Control` sent with the JWK Set; `undefined` sends none. */
  cacheControl: string | undefined
  mode: StandInMode
  /** Overrides the discovery document's members (e.g. another `issuer`). */
  discovery: Record<string, unknown>
  /** GETs of the JWK Set and of the discovery document so far. */
  readonly fetches: { jwks: number; discovery: number }
  /** Claims of a token keel should accept, with overrides (`undefined` removes a claim). */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>
  /** A token signed by `key` (default: the first key) with its own `alg` and `kid`, header overrides applied. */
  token(overrides?: Record<string, unknown>, key?: StandInKey, header?: Record<string, unknown>): string
  close(): Promise<void>
}

/** Starts a stand-in identity provider on 127.0.0.1 with the given keys. */
export async function startStandIn(keys: StandInKey[], audience = 'https://api.test'): Promise<StandIn> {
  const server: FastifyInstance = Fastify()
  const hanging = new Set<() => void>()
  const fetches = { jwks: 0, discovery: 0 }
  let issuer = ''
  const state: Pick<StandIn, 'keys' | 'cacheControl' | 'mode' | 'discovery'> = {
    keys,
    cacheControl: 'public, max-age=600',
    mode: 'up',
    discovery: {},
  }
  server.get('/.well-known/openid-configuration', async () => {
    fetches.discovery++
    return { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'], ...state.discovery }
  })
  server.get('/jwks', async (_request, reply) => {
    fetches.jwks++
    if (state.mode === 'down') return reply.code(503).send({ error: 'down' })
    if (state.mode === 'hang')
      return new Promise<never>((_resolve, reject) => hanging.add(() => reject(new Error('closed'))))
    if (state.cacheControl !== undefined) reply.header('cache-control', state.cacheControl)
    const body = { keys: state.keys.map((key) => key.jwk) }
    if (state.mode === 'huge') return { ...body, padding: 'x'.repeat(300_000) }
    return body
  })
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  issuer = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const claims = (overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000)
    const all: Record<string, unknown> = {
      iss: issuer,
      aud: audience,
      sub: 'idp-user-1',
      iat: now,
      exp: now + 600,
      ...overrides,
    }
    for (const [name, value] of Object.entries(all)) if (value === undefined) delete all[name]
    return all
  }
  return Object.assign(state, {
    issuer,
    jwksUri: `${issuer}/jwks`,
    audience,
    fetches,
    claims,
    token(
      overrides: Record<string, unknown> = {},
      key: StandInKey = state.keys[0]!,
      header: Record<string, unknown> = {},
    ) {
      const fullHeader = { alg: key.alg, typ: 'JWT', kid: key.kid, ...header }
      return signJwt(fullHeader, claims(overrides), key.privateKey)
    },
    async close() {
      for (const release of hanging) release()
      await server.close()
    },
  })
}
