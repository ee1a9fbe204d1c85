import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { contractRecord, hour, randomHash, rotation } from './store-contract-fixtures.js'
import { sessionContract } from './store-contract-sessions.js'
import type { TokenStore } from './token-store.js'

/**
 * The test functions {@link runTokenStoreContract} registers its suite with. vitest, jest and `node:test`
 * all provide them: pass `{ describe, it }` (plus `afterAll`, or `after` for `node:test`, when you pass a
 * teardown).
 */
export interface TokenStoreContractApi {
  /** Groups the contract's tests. */
  describe(name: string, fn: () => void): unknown
  /** Registers one test; the function rejects (an `AssertionError`) when the store breaks the contract. */
  it(name: string, fn: () => Promise<void>): unknown
  /** vitest / jest: runs the teardown after the suite. */
  afterAll?(fn: () => Promise<void>): unknown
  /** `node:test`: runs the teardown after the suite. */
  after?(fn: () => Promise<void>): unknown
}

/**
 * Registers the {@link TokenStore} contract as a test suite: rotation, reuse detection, concurrent
 * rotation, expiry, family and subject revocation, in the order `rotate` must check them; then sessions
 * (listing, ending, absolute lifetime, the session check of session-bound access tokens) and the grace window
 * (concurrent repeats answered with one successor). Run it against your own store with any test runner that has
 * `describe`/`it`; assertions use `node:assert/strict`.
 *
 * Every test uses fresh random hashes, families and subjects, so one store (even one shared database or
 * Redis prefix) serves the whole suite; it is made on the first test.
 *
 * @param name - shown in the suite title, e.g. `'PostgresTokenStore'`.
 * @param makeStore - makes the store under test; called once.
 * @param api - `{ describe, it }` of your runner, plus `afterAll` (vitest, jest) or `after` (`node:test`)
 *   when you pass a teardown.
 * @param teardown - runs after the suite with the store, e.g. to delete its keys and close clients.
 * @throws TypeError when `teardown` is given without `afterAll` or `after`.
 * @example
 * import { describe, it, afterAll } from 'vitest' // or '@jest/globals', or 'node:test' (then `after`)
 * import { runTokenStoreContract } from 'fastify-keel/auth'
 * runTokenStoreContract('PostgresTokenStore', () => new PostgresTokenStore(pool), { describe, it, afterAll }, () => pool.end())
 * @see docs/auth.md#writing-a-custom-store
 */
export function runTokenStoreContract(
  name: string,
  makeStore: () => TokenStore | Promise<TokenStore>,
  api: TokenStoreContractApi,
  teardown?: (store: TokenStore) => void | Promise<void>,
): void {
  const { describe, it } = api
  const afterSuite = api.afterAll ?? api.after
  if (teardown !== undefined && afterSuite === undefined) {
    throw new TypeError('runTokenStoreContract: pass afterAll (vitest, jest) or after (node:test) with a teardown')
  }
  let made: Promise<TokenStore> | undefined
  const storeUnderTest = (): Promise<TokenStore> => {
    made ??= Promise.resolve().then(makeStore)
    return made
  }

  describe(`TokenStore contract: ${name}`, () => {
    if (teardown !== undefined) {
      afterSuite?.call(api, async () => {
        if (made !== undefined) await teardown(await made)
      })
    }

    it('should rotate an active token and return its record', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      const saved = contractRecord()
      await store.save(first, saved)
      assert.deepEqual(await store.rotate(rotation(first)), { status: 'rotated', record: saved })
    })

    it('should carry family, subject, claims, session and metadata into the rotated token', async () => {
      const store = await storeUnderTest()
      const [first, second] = [randomHash(), randomHash()]
      const saved = contractRecord()
      await store.save(first, saved)
      const nextExpiry = Date.now() + 0.5 * hour
      await store.rotate(rotation(first, second, Date.now(), nextExpiry))
      assert.deepEqual(await store.rotate(rotation(second)), {
        status: 'rotated',
        record: { ...saved, expiresAt: nextExpiry },
      })
    })

    it('should answer unknown for a token never saved', async () => {
      const store = await storeUnderTest()
      assert.deepEqual(await store.rotate(rotation(randomHash())), { status: 'unknown' })
    })

    it('should detect reuse of a rotated token and revoke its whole family', async () => {
      const store = await storeUnderTest()
      const [first, second] = [randomHash(), randomHash()]
      const saved = contractRecord()
      await store.save(first, saved)
      await store.rotate(rotation(first, second))
      assert.deepEqual(await store.rotate(rotation(first)), {
        status: 'reused',
        family: saved.family,
        sub: saved.sub,
        revokedFamily: true,
      })
      // The legitimate holder of the newest token is logged out too.
      assert.deepEqual(await store.rotate(rotation(second)), { status: 'revoked' })
    })

    it('should keep reporting reuse when the rotated token is replayed again, without revoking twice', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      const saved = contractRecord()
      await store.save(first, saved)
      await store.rotate(rotation(first))
      await store.rotate(rotation(first))
      assert.deepEqual(await store.rotate(rotation(first)), {
        status: 'reused',
        family: saved.family,
        sub: saved.sub,
        revokedFamily: false,
      })
    })

    it('should not touch other families when one is revoked for reuse', async () => {
      const store = await storeUnderTest()
      const sub = `user-${randomUUID()}`
      const [a, b] = [randomHash(), randomHash()]
      await store.save(a, contractRecord({ sub }))
      await store.save(b, contractRecord({ sub }))
      await store.rotate(rotation(a))
      await store.rotate(rotation(a))
      assert.equal((await store.rotate(rotation(b))).status, 'rotated')
    })

    it('should let exactly one of two concurrent rotations win', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      await store.save(first, contractRecord())
      const results = await Promise.all([store.rotate(rotation(first)), store.rotate(rotation(first))])
      assert.deepEqual(results.map((result) => result.status).sort(), ['reused', 'rotated'])
    })

    it('should let exactly one of ten concurrent rotations win, and report the family revoked once', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      await store.save(first, contractRecord())
      const results = await Promise.all(Array.from({ length: 10 }, () => store.rotate(rotation(first))))
      assert.equal(results.filter((result) => result.status === 'rotated').length, 1)
      const reused = results.filter((result) => result.status === 'reused')
      assert.equal(reused.length, 9)
      assert.equal(reused.filter((result) => result.revokedFamily).length, 1)
    })

    it('should answer expired for a token past expiresAt', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      const saved = contractRecord()
      await store.save(first, saved)
      assert.deepEqual(await store.rotate(rotation(first, randomHash(), saved.expiresAt)), { status: 'expired' })
    })

    it('should revoke the family of a token', async () => {
      const store = await storeUnderTest()
      const [first, second] = [randomHash(), randomHash()]
      await store.save(first, contractRecord())
      await store.rotate(rotation(first, second))
      assert.equal(await store.revokeFamily(second), true)
      assert.deepEqual(await store.rotate(rotation(second)), { status: 'revoked' })
    })

    it('should answer false when revoking an unknown token', async () => {
      const store = await storeUnderTest()
      assert.equal(await store.revokeFamily(randomHash()), false)
      assert.equal(await store.revokeFamily(randomHash(), 'someone'), false)
    })

    it('should revoke a family for its own subject only when a subject is given', async () => {
      const store = await storeUnderTest()
      const first = randomHash()
      const saved = contractRecord()
      await store.save(first, saved)
      assert.equal(await store.revokeFamily(first, `user-${randomUUID()}`), false)
      const second = randomHash()
      assert.equal((await store.rotate(rotation(first, second))).status, 'rotated')
      assert.equal(await store.revokeFamily(second, saved.sub), true)
      assert.deepEqual(await store.rotate(rotation(second)), { status: 'revoked' })
    })

    it('should answer ping when it has one', async () => {
      const store = await storeUnderTest()
      if (store.ping !== undefined) assert.equal(await store.ping(), undefined)
    })

    it('should revoke families created before the subject not-before time, not later ones', async () => {
      const store = await storeUnderTest()
      const sub = `user-${randomUUID()}`
      const now = Date.now()
      const [before, after] = [randomHash(), randomHash()]
      await store.save(before, contractRecord({ sub, familyIssuedAt: now - 1 }))
      await store.save(after, contractRecord({ sub, familyIssuedAt: now + 0.5 }))
      await store.revokeSubject(sub, now, hour)
      assert.deepEqual(await store.rotate(rotation(before)), { status: 'revoked' })
      assert.equal((await store.rotate(rotation(after))).status, 'rotated')
    })

    it('should return the subject not-before time, with fractional ms', async () => {
      const store = await storeUnderTest()
      const sub = `user-${randomUUID()}`
      assert.equal(await store.getNotBefore(sub), undefined)
      const at = Date.now() + 0.25
      await store.revokeSubject(sub, at, hour)
      assert.equal(await store.getNotBefore(sub), at)
    })

    it('should never lower a subject not-before time', async () => {
      const store = await storeUnderTest()
      const sub = `user-${randomUUID()}`
      const at = Date.now()
      await store.revokeSubject(sub, at, hour)
      await store.revokeSubject(sub, at - 1000, hour)
      assert.equal(await store.getNotBefore(sub), at)
    })

    it('should keep other subjects unaffected by revokeSubject', async () => {
      const store = await storeUnderTest()
      const other = `user-${randomUUID()}`
      await store.revokeSubject(`user-${randomUUID()}`, Date.now(), hour)
      assert.equal(await store.getNotBefore(other), undefined)
    })

    sessionContract(it, storeUnderTest)
  })
}
