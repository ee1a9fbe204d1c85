import { describe, expect, it } from 'vitest'
import { buildApp } from './fixtures.js'

async function recorded(metadata: Record<string, unknown>) {
  const app = await buildApp()
  try {
    await app.tokens.issue({ sub: 'u', roles: [] }, { metadata: metadata as never })
    return (await app.tokens.sessions('u'))[0]?.metadata
  } finally {
    await app.close()
  }
}

describe('auth', () => {
  describe('session metadata', () => {
    it('should keep the known fields, cut to their bounds', async () => {
      expect(await recorded({ userAgent: 'u'.repeat(1000), ip: '1'.repeat(100), device: 'd'.repeat(100) })).toEqual({
        userAgent: 'u'.repeat(256),
        ip: '1'.repeat(64),
        device: 'd'.repeat(64),
      })
    })

    it('should drop control characters, empty values and undefined fields', async () => {
      expect(await recorded({ userAgent: 'Mozilla\u0000/5.0\r\n', ip: '  ', device: undefined })).toEqual({
        userAgent: 'Mozilla/5.0',
      })
    })

    it('should never cut a character in half, nor keep a lone surrogate', async () => {
      const metadata = await recorded({ device: `${'d'.repeat(63)}😀`, userAgent: 'a\ud800b' })
      expect(metadata).toEqual({ device: 'd'.repeat(63), userAgent: 'a\ufffdb' })
    })

    it.each([
      ['an unknown field', { password: 'secret' }],
      ['a value that is not a string', { ip: 127001 }],
      ['metadata that is not an object', 'laptop'],
    ])('should throw a TypeError for %s', async (_name, metadata) => {
      const app = await buildApp()
      try {
        await expect(app.tokens.issue({ sub: 'u', roles: [] }, { metadata: metadata as never })).rejects.toThrow(
          TypeError,
        )
        expect(await app.tokens.sessions('u')).toEqual([])
      } finally {
        await app.close()
      }
    })
  })
})
