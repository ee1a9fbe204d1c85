import { hashPassword, needsRehash, verifyPassword } from 'fastify-keel/auth'
import { describe, expect, it } from 'vitest'

// Cheap parameters keep the suite fast; the default (N = 2^17) is exercised once below.
const cheap = { ln: 10, r: 8, p: 1 }
const phc = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

describe('auth', () => {
  describe('passwords', () => {
    it('should hash with the OWASP defaults (N = 2^17, r = 8, p = 1) and verify', async () => {
      const hash = await hashPassword('correct horse battery staple')
      const [, ln, r, p, salt, key] = phc.exec(hash) ?? []
      expect({ ln, r, p }).toEqual({ ln: '17', r: '8', p: '1' })
      expect(Buffer.from(salt!, 'base64')).toHaveLength(16)
      expect(Buffer.from(key!, 'base64')).toHaveLength(32)
      expect(await verifyPassword('correct horse battery staple', hash)).toBe(true)
      expect(needsRehash(hash)).toBe(false)
    })

    it('should reject a wrong password', async () => {
      const hash = await hashPassword('s3cret', cheap)
      expect(await verifyPassword('s3cret!', hash)).toBe(false)
      expect(await verifyPassword('', hash)).toBe(false)
    })

    it('should use a fresh random salt each time', async () => {
      const [a, b] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)])
      expect(a).not.toBe(b)
      expect(await verifyPassword('same', a)).toBe(true)
      expect(await verifyPassword('same', b)).toBe(true)
    })

    it('should treat unicode passwords in NFC and NFD forms alike', async () => {
      const hash = await hashPassword('caf\u00e9', cheap)
      expect(await verifyPassword('cafe\u0301', hash)).toBe(true)
    })

    it('should reject passwords over 1024 bytes with 400 PASSWORD_TOO_LONG before hashing', async () => {
      const started = performance.now()
      await expect(hashPassword('x'.repeat(1025))).rejects.toMatchObject({ statusCode: 400, code: 'PASSWORD_TOO_LONG' })
      // Multi-byte characters count in bytes: 342 × 3 bytes = 1026.
      await expect(hashPassword('€'.repeat(342), cheap)).rejects.toMatchObject({ code: 'PASSWORD_TOO_LONG' })
      expect(performance.now() - started).toBeLessThan(100)
    })

    it('should accept a password of exactly 1024 bytes', async () => {
      const password = 'x'.repeat(1024)
      expect(await verifyPassword(password, await hashPassword(password, cheap))).toBe(true)
    })

    it('should answer false, without hashing, for a password over 1024 bytes', async () => {
      const hash = await hashPassword('x', cheap)
      expect(await verifyPassword('x'.repeat(100_000), hash)).toBe(false)
    })

    it.each([
      ['an empty string', ''],
      ['a bcrypt hash', '$2b$10$abcdefghijklmnopqrstuuJ3zBzV0Fv3bO7V1Y3V9C1oZ0wz7XQe'],
      [
        'a wrong algorithm id',
        '$argon2id$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      ],
      ['missing parameters', '$scrypt$ln=10$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
      [
        'a cost above the limit (DoS)',
        '$scrypt$ln=40,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      ],
      ['r = 0', '$scrypt$ln=10,r=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
      ['non-base64 salt', '$scrypt$ln=10,r=8,p=1$!!!!!!!!!!!!!!!!!!!!$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'],
      ['a truncated hash', '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$'],
      [
        'trailing garbage',
        '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g$x',
      ],
      ['not a string', 42],
    ])('should answer false (never throw) for a malformed hash: %s', async (_name, hash) => {
      await expect(verifyPassword('password', hash as string)).resolves.toBe(false)
      expect(needsRehash(hash as string)).toBe(true)
    })

    it('should say a hash below the current parameters needs a rehash', async () => {
      const weak = await hashPassword('pw', { ln: 10, r: 8, p: 1 })
      expect(needsRehash(weak)).toBe(true)
      expect(needsRehash(weak, { ln: 10 })).toBe(false)
      expect(needsRehash(weak, { ln: 10, r: 16 })).toBe(true)
      expect(needsRehash(weak, { ln: 10, p: 2 })).toBe(true)
    })

    it('should refuse cost parameters outside the limits', async () => {
      await expect(hashPassword('pw', { ln: 21 })).rejects.toThrow(RangeError)
      await expect(hashPassword('pw', { r: 0 })).rejects.toThrow(RangeError)
      await expect(hashPassword('pw', { p: 1.5 })).rejects.toThrow(RangeError)
    })

    it('should refuse a non-string password', async () => {
      await expect(hashPassword(undefined as never)).rejects.toThrow(TypeError)
      await expect(verifyPassword(undefined as never, '$scrypt$')).resolves.toBe(false)
    })

    it('should keep the event loop free while hashing (async scrypt)', async () => {
      let ticks = 0
      const timer = setInterval(() => ticks++, 1)
      await hashPassword('pw', { ln: 15 })
      clearInterval(timer)
      expect(ticks).toBeGreaterThan(0)
    })
  })
})
