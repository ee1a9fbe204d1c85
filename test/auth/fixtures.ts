// Shared by the auth tests: keys generated with node:crypto, a hand-made JWT signer (to forge tokens the
// plugin must refuse), a log capture and Redis key cleanup.
import { createHmac, sign as cryptoSign, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { type KeelAuthOptions, keelAuth } from 'fastify-keel/auth'

export const hsSecret = randomBytes(32).toString('base64url')
export const issuer = 'https://api.test'
export const audience = 'test-api'

export interface PemPair {
  privateKey: string
  publicKey: string
}

function pem(pair: { privateKey: KeyObject; publicKey: KeyObject }): PemPair {
  return {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

export const rsaKeys = (): PemPair => pem(generateKeyPairSync('rsa', { modulusLength: 2048 }))
export const ecKeys = (): PemPair => pem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }))
export const edKeys = (): PemPair => pem(generateKeyPairSync('ed25519'))

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Signs `header.payload` the way a JWT library would, with the algorithm named in `alg`. */
export function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string | undefined,
  alg = String(header.alg),
): string {
  const input = `${b64(header)}.${b64(payload)}`
  if (key === undefined || alg === 'none') return `${input}.`
  let signature: Buffer
  if (alg === 'HS256') signature = createHmac('sha256', key).update(input).digest()
  else if (alg === 'RS256') signature = cryptoSign('sha256', Buffer.from(input), key)
  else if (alg === 'ES256') signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  else signature = cryptoSign(null, Buffer.from(input), key)
  return `${input}.${signature.toString('base64url')}`
}

/** Claims of a token the plugin would accept (until `exp`). */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    sub: 'user-1',
    roles: ['member'],
    jti: 'jti-1',
    iat_ms: Date.now(),
    iss: issuer,
    aud: audience,
    iat: now,
    exp: now + 600,
    ...overrides,
  }
}

/** A Fastify app with keelAuth and `GET /me` (authenticate) answering `request.user`. */
export async function buildApp(options: Partial<KeelAuthOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(keelAuth, { secret: hsSecret, issuer, audience, ...options })
  app.get('/me', { onRequest: [app.authenticate] }, async (request) => request.user)
  return app
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export { captureLogs, type LogLine } from '../helpers/logs.js'

export { deleteKeys } from '../helpers/redis.js'
