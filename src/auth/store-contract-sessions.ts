// The second half of the TokenStore contract (see store-contract.ts): sessions, their absolute lifetime, the
// session check of session-bound access tokens, and the grace window.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { contractRecord, hour, randomHash, rotation, sealed } from './store-contract-fixtures.js'
import type { KeelSession, RefreshTokenRecord, TokenStore } from './token-store.js'

type It = (name: string, fn: () => Promise<void>) => unknown

function listed(record: RefreshTokenRecord, lastUsedAt = record.familyIssuedAt): KeelSession {
  return {
    id: record.family,
    createdAt: record.familyIssuedAt,
    lastUsedAt,
    expiresAt: record.sessionExpiresAt,
    metadata: record.metadata,
  }
}

/** Registers the session and grace-window tests with `it`. */
export function sessionContract(it: It, storeUnderTest: () => Promise<TokenStore>): void {
  it('should list the live sessions of a subject with their times and metadata, most recently used first', async () => {
    const store = await storeUnderTest()
    const sub = `user-${randomUUID()}`
    const now = Date.now()
    const [a, b] = [randomHash(), randomHash()]
    const older = contractRecord({ sub, familyIssuedAt: now - 2000.5 })
    const newer = contractRecord({ sub, familyIssuedAt: now - 1000, metadata: { device: 'phone' } })
    await store.save(a, older)
    await store.save(b, newer)
    assert.deepEqual(await store.listSessions(sub, Date.now(), 10), [listed(newer), listed(older)])
    // A rotation is a use: the older session moves to the front.
    const usedAt = Date.now() + 0.5
    await store.rotate(rotation(a, randomHash(), usedAt))
    assert.deepEqual(await store.listSessions(sub, Date.now(), 10), [listed(older, usedAt), listed(newer)])
  })

  it("should list only the subject's own sessions, at most limit of them", async () => {
    const store = await storeUnderTest()
    const sub = `user-${randomUUID()}`
    for (let i = 0; i < 3; i++) await store.save(randomHash(), contractRecord({ sub }))
    await store.save(randomHash(), contractRecord())
    assert.equal((await store.listSessions(sub, Date.now(), 10)).length, 3)
    assert.equal((await store.listSessions(sub, Date.now(), 2)).length, 2)
    assert.deepEqual(await store.listSessions(`user-${randomUUID()}`, Date.now(), 10), [])
  })

  it('should not list sessions that were logged out, reused, ended or are past their end', async () => {
    const store = await storeUnderTest()
    const sub = `user-${randomUUID()}`
    const now = Date.now()
    const [loggedOut, reused, ended] = [randomHash(), randomHash(), randomHash()]
    const [idle, over, kept] = [randomHash(), randomHash(), randomHash()]
    const keptRecord = contractRecord({ sub })
    const endedRecord = contractRecord({ sub })
    await store.save(loggedOut, contractRecord({ sub }))
    await store.save(reused, contractRecord({ sub }))
    await store.save(ended, endedRecord)
    await store.save(idle, contractRecord({ sub, expiresAt: now - 1 }))
    await store.save(over, contractRecord({ sub, expiresAt: now - 1, sessionExpiresAt: now - 1 }))
    await store.save(kept, keptRecord)
    await store.revokeFamily(loggedOut, sub)
    await store.rotate(rotation(reused))
    await store.rotate(rotation(reused))
    assert.equal(await store.revokeSession(sub, endedRecord.family, Date.now()), true)
    assert.deepEqual(await store.listSessions(sub, Date.now(), 10), [listed(keptRecord)])
  })

  it('should not list sessions created before the subject not-before time', async () => {
    const store = await storeUnderTest()
    const sub = `user-${randomUUID()}`
    const now = Date.now()
    const after = contractRecord({ sub, familyIssuedAt: now + 0.5 })
    await store.save(randomHash(), contractRecord({ sub, familyIssuedAt: now - 1 }))
    await store.save(randomHash(), after)
    await store.revokeSubject(sub, now, hour)
    assert.deepEqual(await store.listSessions(sub, Date.now(), 10), [listed(after)])
  })

  it('should end a live session of its subject at once: its tokens are refused and its check fails', async () => {
    const store = await storeUnderTest()
    const [first, second] = [randomHash(), randomHash()]
    const saved = contractRecord()
    await store.save(first, saved)
    await store.rotate(rotation(first, second))
    assert.equal(await store.checkSession(saved.sub, saved.family, Date.now(), Date.now()), true)
    assert.equal(await store.revokeSession(saved.sub, saved.family, Date.now()), true)
    assert.deepEqual(await store.rotate(rotation(second)), { status: 'revoked' })
    assert.equal(await store.checkSession(saved.sub, saved.family, Date.now(), Date.now()), false)
    // Ended already: nothing left to end.
    assert.equal(await store.revokeSession(saved.sub, saved.family, Date.now()), false)
  })

  it("should not end another subject's session, an unknown one or one past its end", async () => {
    const store = await storeUnderTest()
    const first = randomHash()
    const saved = contractRecord()
    await store.save(first, saved)
    assert.equal(await store.revokeSession(`user-${randomUUID()}`, saved.family, Date.now()), false)
    assert.equal(await store.revokeSession(saved.sub, randomUUID(), Date.now()), false)
    assert.equal(await store.revokeSession(saved.sub, saved.family, saved.sessionExpiresAt), false)
    assert.equal((await store.rotate(rotation(first))).status, 'rotated')
  })

  it('should fail the session check once the session is logged out or revoked for reuse', async () => {
    const store = await storeUnderTest()
    const [out, reused] = [contractRecord(), contractRecord()]
    const [outHash, reusedHash] = [randomHash(), randomHash()]
    await store.save(outHash, out)
    await store.save(reusedHash, reused)
    assert.equal(await store.checkSession(reused.sub, reused.family, Date.now(), Date.now()), true)
    await store.revokeFamily(outHash)
    await store.rotate(rotation(reusedHash))
    await store.rotate(rotation(reusedHash))
    assert.equal(await store.checkSession(out.sub, out.family, Date.now(), Date.now()), false)
    assert.equal(await store.checkSession(reused.sub, reused.family, Date.now(), Date.now()), false)
  })

  it('should fail the session check for an older token, another subject, an unknown or an ended session', async () => {
    const store = await storeUnderTest()
    const now = Date.now()
    const saved = contractRecord({ familyIssuedAt: now + 0.5 })
    const older = contractRecord({ sub: saved.sub, familyIssuedAt: now - 1 })
    const over = contractRecord({ expiresAt: now - 1, sessionExpiresAt: now - 1 })
    await store.save(randomHash(), saved)
    await store.save(randomHash(), older)
    await store.save(randomHash(), over)
    await store.revokeSubject(saved.sub, now, hour)
    // A session older than revokeAll is over, whenever its access token was issued.
    assert.equal(await store.checkSession(older.sub, older.family, now + 1, Date.now()), false)
    // The session is younger than revokeAll; an access token issued before it is not.
    assert.equal(await store.checkSession(saved.sub, saved.family, now - 1, Date.now()), false)
    assert.equal(await store.checkSession(saved.sub, saved.family, now + 1, Date.now()), true)
    assert.equal(await store.checkSession(`user-${randomUUID()}`, saved.family, now + 1, Date.now()), false)
    assert.equal(await store.checkSession(saved.sub, randomUUID(), now + 1, Date.now()), false)
    assert.equal(await store.checkSession(over.sub, over.family, now, Date.now()), false)
  })

  it('should never extend a session past sessionExpiresAt: its tokens expire with it', async () => {
    const store = await storeUnderTest()
    const now = Date.now()
    const [first, second] = [randomHash(), randomHash()]
    // The token would live an hour; its session ends in ten minutes.
    const saved = contractRecord({ expiresAt: now + hour, sessionExpiresAt: now + hour / 6 })
    await store.save(first, saved)
    assert.deepEqual(await store.rotate(rotation(first, randomHash(), saved.sessionExpiresAt)), { status: 'expired' })
    // A rotation before the end gives a successor that expires at the end, whatever expiry it asked for.
    assert.equal((await store.rotate(rotation(first, second, now, now + 2 * hour))).status, 'rotated')
    assert.deepEqual(await store.rotate(rotation(second, randomHash(), saved.sessionExpiresAt)), { status: 'expired' })
    const result = await store.rotate(rotation(second, randomHash(), saved.sessionExpiresAt - 1))
    assert.equal(result.status === 'rotated' && result.record.expiresAt, saved.sessionExpiresAt)
  })

  it('should answer a repeat within the grace window with the sealed successor, storing nothing new', async () => {
    const store = await storeUnderTest()
    const [first, second, repeat] = [randomHash(), randomHash(), randomHash()]
    const saved = contractRecord()
    const now = Date.now()
    const seal = sealed()
    const grace = { sealedNext: seal, until: now + 5000 }
    await store.save(first, saved)
    assert.equal((await store.rotate(rotation(first, second, now, now + hour, grace))).status, 'rotated')
    const other = { sealedNext: sealed(), until: now + 6000 }
    assert.deepEqual(await store.rotate(rotation(first, repeat, now + 4999, now + hour, other)), {
      status: 'graced',
      record: saved,
      sealedNext: seal,
      nextExpiresAt: now + hour,
    })
    // No second family member: the repeat's successor was never stored, the winner's is intact.
    assert.deepEqual(await store.rotate(rotation(repeat)), { status: 'unknown' })
    assert.equal((await store.rotate(rotation(second))).status, 'rotated')
  })

  it('should answer every one of ten concurrent rotations within the grace window with the one successor', async () => {
    const store = await storeUnderTest()
    const first = randomHash()
    const now = Date.now()
    await store.save(first, contractRecord())
    const attempts = Array.from({ length: 10 }, () => ({ next: randomHash(), seal: sealed() }))
    const results = await Promise.all(
      attempts.map(({ next, seal }) =>
        store.rotate(rotation(first, next, now, now + hour, { sealedNext: seal, until: now + 5000 })),
      ),
    )
    const winner = results.findIndex((result) => result.status === 'rotated')
    assert.notEqual(winner, -1)
    assert.deepEqual(
      results.map((result) => (result.status === 'graced' ? result.sealedNext : result.status)).sort(),
      [...Array(9).fill(attempts[winner]!.seal), 'rotated'].sort(),
    )
    assert.equal((await store.rotate(rotation(attempts[winner]!.next))).status, 'rotated')
  })

  it('should treat a repeat after the grace window as reuse and revoke the family', async () => {
    const store = await storeUnderTest()
    const [first, second] = [randomHash(), randomHash()]
    const saved = contractRecord()
    const now = Date.now()
    await store.save(first, saved)
    await store.rotate(rotation(first, second, now, now + hour, { sealedNext: sealed(), until: now + 5000 }))
    assert.deepEqual(await store.rotate(rotation(first, randomHash(), now + 5000)), {
      status: 'reused',
      family: saved.family,
      sub: saved.sub,
      revokedFamily: true,
    })
    assert.deepEqual(await store.rotate(rotation(second)), { status: 'revoked' })
  })

  it('should not grace a repeat once the session is revoked, nor a rotation made without a window', async () => {
    const store = await storeUnderTest()
    const [first, second, plain] = [randomHash(), randomHash(), randomHash()]
    const now = Date.now()
    await store.save(first, contractRecord())
    await store.rotate(rotation(first, second, now, now + hour, { sealedNext: sealed(), until: now + 5000 }))
    await store.revokeFamily(second)
    assert.equal((await store.rotate(rotation(first))).status, 'reused')
    await store.save(plain, contractRecord())
    await store.rotate(rotation(plain))
    assert.equal((await store.rotate(rotation(plain))).status, 'reused')
  })
}
