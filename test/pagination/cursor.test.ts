import { randomBytes } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { HttpError, keelErrors } from 'fastify-keel/errors'
import { CursorPaginationQuery, composeQuery, decodeCursor, encodeCursor } from 'fastify-keel/pagination'
import { describe, expect, it } from 'vitest'

const secret = randomBytes(32).toString('base64url')
const otherSecret = randomBytes(32)

function b64(text: string): string {
  return Buffer.from(text).toString('base64url')
}

function flipLastChar(value: string): string {
  const last = value.at(-1)
  return value.slice(0, -1) + (last === 'A' ? 'B' : 'A')
}

function expectInvalid(run: () => unknown): void {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(HttpError)
  expect((caught as HttpError).statusCode).toBe(400)
  expect((caught as HttpError).code).toBe('INVALID_CURSOR')
}

describe('pagination', () => {
  it('should round-trip keyset values of every primitive type', () => {
    const values = ['2024-01-02T03:04:05.000Z', 42, -1.5, true, null, 'ünïcødé ✓ "quoted"']
    expect(decodeCursor(encodeCursor(values))).toEqual(values)
  })

  it('should produce a URL-safe cursor without padding', () => {
    expect(encodeCursor(['a/b+c?d=e', 123456789])).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(encodeCursor([1], { secret })).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)
  })

  it('should round-trip a signed cursor', () => {
    expect(decodeCursor(encodeCursor(['x', 7], { secret }), { secret })).toEqual(['x', 7])
  })

  it('should accept cursors signed by any rotated key and sign with the first', () => {
    const signedByOld = encodeCursor([1], { secret: otherSecret })
    expect(decodeCursor(signedByOld, { secret: [secret, otherSecret] })).toEqual([1])
    const signedByNew = encodeCursor([2], { secret: [secret, otherSecret] })
    expect(decodeCursor(signedByNew, { secret })).toEqual([2])
  })

  it('should check and type the values with types', () => {
    const [createdAt, id] = decodeCursor(encodeCursor(['2024-01-01', 5]), { types: ['string', 'integer'] })
    expect(createdAt).toBe('2024-01-01')
    expect(id).toBe(5)
  })

  const unsigned = encodeCursor(['2024-01-01', 5])
  const signed = encodeCursor(['2024-01-01', 5], { secret })
  const [signedPayload, signedTag] = signed.split('.') as [string, string]
  const forgedPayload = b64('[1,"2024-01-01",6]')
  // Tags of 22 UTF-16 units that are not 22 ASCII bytes (or not base64url): a length check alone lets
  // them reach `timingSafeEqual`, which throws on unequal byte lengths (a 500).
  const forgedTags: [string, string][] = [
    ['tag ending in a two-byte character', `${'A'.repeat(21)}é`],
    ['tag ending in a three-byte character', `${'A'.repeat(21)}€`],
    ['tag of 22 multibyte characters', 'é'.repeat(22)],
    ['tag ending in a lone surrogate', `${'A'.repeat(21)}\ud800`],
    ['tag ending in a surrogate pair', `${'A'.repeat(20)}😀`],
    ['tag ending in NUL', `${'A'.repeat(21)}\0`],
    ['tag of 22 NULs', '\0'.repeat(22)],
    ['tag with base64 padding', `${'A'.repeat(21)}=`],
    ['tag with a standard base64 character', `${'A'.repeat(21)}+`],
  ]

  it.each([
    ['empty', ''],
    ['garbage', '!!!not a cursor!!!'],
    ['plain text id', '12345'],
    ['truncated', unsigned.slice(0, -3)],
    ['truncated by one', unsigned.slice(0, -1)],
    ['padded base64', `${b64('[1,"a"]')}=`],
    ['standard base64 alphabet', Buffer.from('[1,"a?>"]').toString('base64')],
    ['non-zero trailing bits', flipLastChar(b64('[1,5]'))],
    ['stray characters', `${unsigned.slice(0, 4)}*${unsigned.slice(4)}`],
    ['whitespace', ` ${unsigned}`],
    ['JSON re-serialised by hand', b64('[1, "2024-01-01", 5]')],
    ['number rewritten', b64('[1,"2024-01-01",5.0]')],
    ['unknown version', b64('[2,"2024-01-01",5]')],
    ['no version', b64('["2024-01-01",5]')],
    ['version only', b64('[1]')],
    ['object payload', b64('{"v":1,"id":5}')],
    ['string payload', b64('"hello"')],
    ['nested array', b64('[1,[5]]')],
    ['nested object', b64('[1,{"id":5}]')],
    ['invalid JSON', b64('[1,5')],
    ['invalid UTF-8', Buffer.from([0x5b, 0x31, 0x2c, 0x22, 0xff, 0x22, 0x5d]).toString('base64url')],
    ['prototype pollution attempt', b64('[1,{"__proto__":{"x":1}}]')],
    ['oversized', b64(`[1,"${'a'.repeat(600)}"]`)],
    ['a signature without a secret', signed],
  ])('should refuse a %s cursor with INVALID_CURSOR', (_name, cursor) => {
    expectInvalid(() => decodeCursor(cursor))
  })

  it.each([
    ['unsigned', unsigned],
    ['forged payload with the old tag', `${forgedPayload}.${signedTag}`],
    ['tampered tag', `${signedPayload}.${flipLastChar(signedTag)}`],
    ['truncated tag', signed.slice(0, -1)],
    ['empty tag', `${signedPayload}.`],
    ['extra tag', `${signed}.${signedTag}`],
    ['signed with another key', encodeCursor(['2024-01-01', 5], { secret: otherSecret })],
    ['tag of 22 other characters', `${signedPayload}.${'A'.repeat(22)}`],
    ...forgedTags.map(([name, forged]): [string, string] => [name, `${signedPayload}.${forged}`]),
  ])('should refuse a %s cursor when a secret is required', (_name, cursor) => {
    expectInvalid(() => decodeCursor(cursor, { secret }))
  })

  it.each([
    ['too few values', ['string', 'integer', 'integer']],
    ['too many values', ['string']],
    ['string where an integer is expected', ['integer', 'integer']],
    ['an integer where a boolean is expected', ['string', 'boolean']],
  ] as const)('should refuse a cursor with %s', (_name, types) => {
    expectInvalid(() => decodeCursor(unsigned, { types }))
  })

  it('should refuse a fraction where an integer is expected', () => {
    expectInvalid(() => decodeCursor(encodeCursor([1.5]), { types: ['integer'] }))
  })

  it('should honour a smaller maxLength', () => {
    expectInvalid(() => decodeCursor(unsigned, { maxLength: 8 }))
    expect(() => encodeCursor(['x'.repeat(50)], { maxLength: 20 })).toThrow(RangeError)
  })

  it.each([
    ['an empty array', []],
    ['not an array', { id: 1 }],
    ['NaN', [Number.NaN]],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['an object value', [{}]],
    ['undefined', [undefined]],
    ['a Date', [new Date()]],
  ])('should refuse to encode %s', (_name, values) => {
    expect(() => encodeCursor(values as never)).toThrow(TypeError)
  })

  it.each([
    ['a short string', 'too-short'],
    ['a short buffer', randomBytes(16)],
    ['an empty array', []],
    ['a number', 42],
  ])('should refuse %s as a secret with KEEL_ERR_PAGINATION_INVALID_SECRET', (_name, bad) => {
    expect(() => encodeCursor([1], { secret: bad as never })).toThrow(
      expect.objectContaining({ code: 'KEEL_ERR_PAGINATION_INVALID_SECRET' }),
    )
  })

  describe.each([
    ['without keelErrors', false],
    ['with keelErrors', true],
  ])('through a real route with a secret, %s', (_name, withErrors) => {
    async function build() {
      const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
      if (withErrors) await app.register(keelErrors)
      app.get('/items', { schema: { querystring: composeQuery([CursorPaginationQuery]) } }, async (request) => {
        const values =
          request.query.cursor === undefined ? null : decodeCursor(request.query.cursor, { secret, types: ['integer'] })
        return { values }
      })
      return app
    }

    it('should decode a good cursor', async () => {
      const app = await build()
      try {
        const good = await app.inject({ url: '/items', query: { cursor: encodeCursor([9], { secret }) } })
        expect(good.json()).toEqual({ values: [9] })
      } finally {
        await app.close()
      }
    })

    it.each([
      ['garbage', 'garbage'],
      ['unsigned', unsigned],
      ['forged payload with the old tag', `${forgedPayload}.${signedTag}`],
      ['wrongly typed', encodeCursor(['nine'], { secret })],
      ...forgedTags.map(([name, forged]): [string, string] => [
        name,
        `${encodeCursor([9], { secret }).split('.')[0]}.${forged}`,
      ]),
    ])('should answer a %s cursor with 400 INVALID_CURSOR, never 500', async (_name, cursor) => {
      const app = await build()
      try {
        const response = await app.inject({ url: '/items', query: { cursor } })
        expect(response.statusCode).toBe(400)
        expect(response.json().code).toBe('INVALID_CURSOR')
        if (withErrors) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      } finally {
        await app.close()
      }
    })
  })
})
