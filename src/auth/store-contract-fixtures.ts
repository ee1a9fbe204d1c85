// What the contract suite's tests build their records and rotations from.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { RefreshTokenRecord, RotateRequest } from './token-store.js'

export const hour = 3_600_000

/** A random token hash, shaped like the ones keelAuth passes (SHA-256, base64url). */
export function randomHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url')
}

/** A record of a fresh session of a fresh subject: its token expires in an hour, the session in two. */
export function contractRecord(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  const now = Date.now()
  return {
    family: randomUUID(),
    sub: `user-${randomUUID()}`,
    claims: { roles: ['member'], tenant: 't1' },
    familyIssuedAt: now,
    expiresAt: now + hour,
    sessionExpiresAt: now + 2 * hour,
    metadata: { userAgent: 'contract/1.0 (test)', ip: '192.0.2.7', device: "Ada's laptop" },
    ...overrides,
  }
}

/** A rotation of `hash` at `now` into `nextHash`, expiring an hour later unless said otherwise. */
export function rotation(
  hash: string,
  nextHash = randomHash(),
  now = Date.now(),
  nextExpiresAt = now + hour,
  grace?: RotateRequest['grace'],
): RotateRequest {
  return grace === undefined ? { hash, nextHash, now, nextExpiresAt } : { hash, nextHash, now, nextExpiresAt, grace }
}

/** A sealed successor as keel would pass it (the store only keeps and returns it). */
export function sealed(): string {
  return `g1.${randomBytes(60).toString('base64url')}`
}
