import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MAX_SEALED_LENGTH, openSuccessor, sealSuccessor } from '../../src/auth/grace.js'

const token = () => randomBytes(32).toString('base64url')
const hash = (value: string) => createHash('sha256').update(value).digest('base64url')

describe('auth', () => {
  describe('grace window seal', () => {
    it('should open, with the presented token only, the successor it sealed', () => {
      const [presented, next] = [token(), token()]
      const sealed = sealSuccessor(presented, hash(presented), next)
      expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_LENGTH)
      expect(sealed).not.toContain(next)
      expect(openSuccessor(presented, hash(presented), sealed)).toBe(next)
      // Nothing the store holds opens it: not the hash, not another token.
      const other = token()
      expect(openSuccessor(hash(presented), hash(presented), sealed)).toBeUndefined()
      expect(openSuccessor(other, hash(presented), sealed)).toBeUndefined()
    })

    it('should refuse a seal bound to another token hash, tampered with, or malformed', () => {
      const [presented, next] = [token(), token()]
      const sealed = sealSuccessor(presented, hash(presented), next)
      expect(openSuccessor(presented, hash(token()), sealed)).toBeUndefined()
      const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`
      expect(openSuccessor(presented, hash(presented), flipped)).toBeUndefined()
      for (const bad of ['', 'g1.', 'g2.abc', `g1.${'A'.repeat(300)}`]) {
        expect(openSuccessor(presented, hash(presented), bad)).toBeUndefined()
      }
    })

    it('should seal the same successor differently each time (a fresh IV)', () => {
      const [presented, next] = [token(), token()]
      expect(sealSuccessor(presented, hash(presented), next)).not.toBe(sealSuccessor(presented, hash(presented), next))
    })
  })
})
