// Run by stores.test.ts with `node --test` (through tsx): the exported contract with node:test's own
// describe/it/after, as a user on node:test would call it.
import { after, describe, it } from 'node:test'
import { MemoryTokenStore, runTokenStoreContract, type TokenStore } from 'fastify-keel/auth'

let tornDown: TokenStore | undefined
runTokenStoreContract(
  'MemoryTokenStore on node:test',
  () => new MemoryTokenStore(),
  { describe, it, after },
  (store) => {
    tornDown = store
  },
)
after(() => {
  if (!(tornDown instanceof MemoryTokenStore)) throw new Error('the teardown did not run with the store')
})

// A store that breaks the contract must fail the suite: `rotate` never detects reuse.
class LenientStore extends MemoryTokenStore {
  override async rotate(...args: Parameters<MemoryTokenStore['rotate']>) {
    const result = await super.rotate(...args)
    return result.status === 'reused' ? ({ status: 'unknown' } as const) : result
  }
}
if (process.env.KEEL_CONTRACT_BROKEN === '1')
  runTokenStoreContract('LenientStore', () => new LenientStore(), { describe, it })
