// The TokenStore contract, as a reusable vitest suite. Point it at your own store:
//
//   import { runTokenStoreContract } from './store-contract.js'
//   runTokenStoreContract('PostgresTokenStore', () => new PostgresTokenStore(pool))
//
// Every test uses fresh random hashes and subjects, so one store instance may serve the whole suite.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { RefreshTokenRecord, TokenStore } from 'fastify-keel/auth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const hour = 3_600_000

/** A random token hash, shaped like the ones keelAuth passes (SHA-256, base64url). */
export function randomHash(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url')
}

function record(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  const now = Date.now()
  return {
    family: randomUUID(),
    sub: `user-${randomUUID()}`,
    claims: { roles: ['member'], tenant: 't1' },
    familyIssuedAt: now,
    expiresAt: now + hour,
    ...overrides,
  }
}

/**
 * Runs the {@link TokenStore} contract against a store. `makeStore` is called once per suite; `teardown`
 * (optional) runs after it, e.g. to delete the suite's keys and close clients.
 */
export function runTokenStoreContract(
  name: string,
  makeStore: () => TokenStore | Promise<TokenStore>,
  teardown?: (store: TokenStore) => void | Promise<void>,
): void {
  describe(`TokenStore contract: ${name}`, () => {
    let store: TokenStore
    beforeAll(async () => {
      store = await makeStore()
    })
    afterAll(async () => {
      await teardown?.(store)
    })

    it('should rotate an active token and return its record', async () => {
      const first = randomHash()
      const saved = record()
      await store.save(first, saved)
      const result = await store.rotate(first, randomHash(), Date.now(), Date.now() + hour)
      expect(result).toEqual({ status: 'rotated', record: saved })
    })

    it('should carry family, subject, claims and family time into the rotated token', async () => {
      const [first, second, third] = [randomHash(), randomHash(), randomHash()]
      const saved = record()
      await store.save(first, saved)
      const nextExpiry = Date.now() + 2 * hour
      await store.rotate(first, second, Date.now(), nextExpiry)
      const result = await store.rotate(second, third, Date.now(), Date.now() + hour)
      expect(result).toEqual({ status: 'rotated', record: { ...saved, expiresAt: nextExpiry } })
    })

    it('should answer unknown for a token never saved', async () => {
      expect(await store.rotate(randomHash(), randomHash(), Date.now(), Date.now() + hour)).toEqual({
        status: 'unknown',
      })
    })

    it('should detect reuse of a rotated token and revoke its whole family', async () => {
      const [first, second] = [randomHash(), randomHash()]
      await store.save(first, record())
      await store.rotate(first, second, Date.now(), Date.now() + hour)
      expect(await store.rotate(first, randomHash(), Date.now(), Date.now() + hour)).toEqual({ status: 'reused' })
      // The legitimate holder of the newest token is logged out too.
      expect(await store.rotate(second, randomHash(), Date.now(), Date.now() + hour)).toEqual({ status: 'revoked' })
    })

    it('should keep reporting reuse when the rotated token is replayed again', async () => {
      const first = randomHash()
      await store.save(first, record())
      await store.rotate(first, randomHash(), Date.now(), Date.now() + hour)
      await store.rotate(first, randomHash(), Date.now(), Date.now() + hour)
      expect(await store.rotate(first, randomHash(), Date.now(), Date.now() + hour)).toEqual({ status: 'reused' })
    })

    it('should not touch other families when one is revoked for reuse', async () => {
      const sub = `user-${randomUUID()}`
      const [a, b] = [randomHash(), randomHash()]
      await store.save(a, record({ sub }))
      await store.save(b, record({ sub }))
      await store.rotate(a, randomHash(), Date.now(), Date.now() + hour)
      await store.rotate(a, randomHash(), Date.now(), Date.now() + hour)
      expect((await store.rotate(b, randomHash(), Date.now(), Date.now() + hour)).status).toBe('rotated')
    })

    it('should let exactly one of two concurrent rotations win', async () => {
      const first = randomHash()
      await store.save(first, record())
      const results = await Promise.all([
        store.rotate(first, randomHash(), Date.now(), Date.now() + hour),
        store.rotate(first, randomHash(), Date.now(), Date.now() + hour),
      ])
      const statuses = results.map((result) => result.status).sort()
      expect(statuses).toEqual(['reused', 'rotated'])
    })

    it('should answer expired for a token past expiresAt', async () => {
      const first = randomHash()
      const saved = record()
      await store.save(first, saved)
      expect(await store.rotate(first, randomHash(), saved.expiresAt, saved.expiresAt + hour)).toEqual({
        status: 'expired',
      })
    })

    it('should revoke the family of a token', async () => {
      const [first, second] = [randomHash(), randomHash()]
      await store.save(first, record())
      await store.rotate(first, second, Date.now(), Date.now() + hour)
      expect(await store.revokeFamily(second)).toBe(true)
      expect(await store.rotate(second, randomHash(), Date.now(), Date.now() + hour)).toEqual({ status: 'revoked' })
    })

    it('should answer false when revoking an unknown token', async () => {
      expect(await store.revokeFamily(randomHash())).toBe(false)
    })

    it('should revoke families created before the subject not-before time, not later ones', async () => {
      const sub = `user-${randomUUID()}`
      const now = Date.now()
      const [before, after] = [randomHash(), randomHash()]
      await store.save(before, record({ sub, familyIssuedAt: now - 1 }))
      await store.save(after, record({ sub, familyIssuedAt: now + 0.5 }))
      await store.revokeSubject(sub, now, hour)
      expect(await store.rotate(before, randomHash(), Date.now(), Date.now() + hour)).toEqual({ status: 'revoked' })
      expect((await store.rotate(after, randomHash(), Date.now(), Date.now() + hour)).status).toBe('rotated')
    })

    it('should return the subject not-before time, with fractional ms', async () => {
      const sub = `user-${randomUUID()}`
      expect(await store.getNotBefore(sub)).toBeUndefined()
      const at = Date.now() + 0.25
      await store.revokeSubject(sub, at, hour)
      expect(await store.getNotBefore(sub)).toBe(at)
    })

    it('should never lower a subject not-before time', async () => {
      const sub = `user-${randomUUID()}`
      const at = Date.now()
      await store.revokeSubject(sub, at, hour)
      await store.revokeSubject(sub, at - 1000, hour)
      expect(await store.getNotBefore(sub)).toBe(at)
    })

    it('should keep other subjects unaffected by revokeSubject', async () => {
      const other = `user-${randomUUID()}`
      await store.revokeSubject(`user-${randomUUID()}`, Date.now(), hour)
      expect(await store.getNotBefore(other)).toBeUndefined()
    })
  })
}
