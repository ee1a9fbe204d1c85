import { isValidRequestId, parseTraceparent } from 'fastify-keel/request-id'
import { describe, expect, it } from 'vitest'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

describe('request-id', () => {
  describe('parseTraceparent', () => {
    it('should parse a valid version-00 header', () => {
      expect(parseTraceparent(`00-${TRACE}-${PARENT}-01`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: 1 })
    })

    it('should parse a higher version by its version-00 prefix', () => {
      expect(parseTraceparent(`01-${TRACE}-${PARENT}-00-extra`)).toEqual({ traceId: TRACE, parentId: PARENT, flags: 0 })
    })

    const invalid: Array<[string, unknown]> = [
      ['absent', undefined],
      ['not a string', ['a']],
      ['empty', ''],
      ['too short', `00-${TRACE}-${PARENT}-0`],
      ['trailing data on version 00', `00-${TRACE}-${PARENT}-01-x`],
      ['version ff', `ff-${TRACE}-${PARENT}-01`],
      ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
      ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
      ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
      ['non-hex characters', `00-${TRACE.slice(0, -1)}g-${PARENT}-01`],
      ['wrong separators', `00_${TRACE}_${PARENT}_01`],
      ['a higher version glued to more data', `01-${TRACE}-${PARENT}-01x`],
      ['a short trace id', `00-${TRACE.slice(2)}-${PARENT}-0100`],
    ]
    it.each(invalid)('should return null for %s', (_name, value) => {
      expect(parseTraceparent(value)).toBeNull()
    })
  })

  describe('isValidRequestId', () => {
    it.each(['a', 'req-1', 'A.b:c_d-e', 'x'.repeat(128), '550e8400-e29b-41d4-a716-446655440000'])(
      'should accept %s',
      (id) => {
        expect(isValidRequestId(id)).toBe(true)
      },
    )
    it.each(['', 'x'.repeat(129), 'a b', 'a\r\nb', 'é', 'a/b', 'a"b'])('should reject %j', (id) => {
      expect(isValidRequestId(id)).toBe(false)
    })
  })
})
