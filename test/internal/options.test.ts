import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/internal/duration.js'
import { closestName, optionsReader } from '../../src/internal/options.js'

const read = optionsReader('demo', 'KEEL_ERR_DEMO_INVALID_OPTION')

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (error) {
    return error as { code: string; message: string }
  }
  throw new Error('expected a throw')
}

describe('internal options toolkit', () => {
  describe('parseDuration', () => {
    it.each([
      [1500, 1500],
      [0, 0],
      ['250', 250],
      ['250ms', 250],
      ['30s', 30_000],
      ['30 s', 30_000],
      ['15m', 900_000],
      ['15 minutes', 900_000],
      ['1.5h', 5_400_000],
      ['1 hour', 3_600_000],
      ['30d', 2_592_000_000],
      ['2 weeks', 1_209_600_000],
      [' 15 Minutes ', 900_000],
    ])('should read %j as %d ms', (value, ms) => {
      expect(parseDuration(value)).toBe(ms)
    })

    it.each([
      [-1],
      [Number.NaN],
      [Number.POSITIVE_INFINITY],
      ['15 fortnights'],
      ['m15'],
      ['1e3'],
      [''],
      ['15 m s'],
      ['9'.repeat(41)],
      [null],
      [{}],
    ])('should refuse %j', (value) => {
      expect(parseDuration(value)).toBeUndefined()
    })
  })

  describe('optionsReader', () => {
    it('should accept Fastify register options at the top level and refuse other unknown keys', () => {
      expect(read.root({ prefix: '/x', logLevel: 'warn', logSerializers: {}, a: 1 }, ['a'])).toBeTruthy()
      const error = thrown(() => read.root({ accesTokenTtl: 900 }, ['accessTokenTtl', 'refreshTokenTtl']))
      expect(error.code).toBe('KEEL_ERR_DEMO_INVALID_OPTION')
      expect(error.message).toBe(
        'fastify-keel/demo: option "accesTokenTtl" is unknown, got 900; did you mean "accessTokenTtl"? known options are accessTokenTtl, refreshTokenTtl',
      )
    })

    it('should refuse register options inside nested objects', () => {
      expect(thrown(() => read.object('cors', { prefix: '/x' }, ['origins'])).message).toContain('"cors.prefix"')
    })

    it('should write every message in one shape naming the option, the value and the fix', () => {
      expect(thrown(() => read.integer('max', 0, 1)).message).toBe(
        `fastify-keel/demo: option "max" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got 0; pass an integer from 1 to ${Number.MAX_SAFE_INTEGER}`,
      )
      expect(thrown(() => read.root('x', ['a'])).message).toBe(
        'fastify-keel/demo: options must be an object, got "x"; pass { a }',
      )
    })

    it('should never echo a sensitive value', () => {
      const error = thrown(() => read.string('secret', 'short', '', { pattern: /.{32}/, sensitive: true }))
      expect(error.message).not.toContain('short')
      expect(error.message).toContain('a string of 5 characters')
    })

    it('should read durations with one grammar and bounds', () => {
      expect(read.duration('ttl', undefined, '15m')).toBe(900_000)
      expect(read.duration('ttl', 500, '15m')).toBe(500)
      expect(read.duration('ttl', '2 minutes', 1)).toBe(120_000)
      expect(thrown(() => read.duration('ttl', '1 fortnight', 1)).message).toContain('is not a duration')
      expect(thrown(() => read.duration('ttl', 10, 1, { min: 1000 })).code).toBe('KEEL_ERR_DEMO_INVALID_OPTION')
    })

    it('should use a specific code when one is given', () => {
      expect(thrown(() => read.boolean('x', 'yes', false, { code: 'KEEL_ERR_DEMO_OTHER' })).code).toBe(
        'KEEL_ERR_DEMO_OTHER',
      )
    })
  })

  describe('closestName', () => {
    it('should suggest a near name and nothing for a distant one', () => {
      expect(closestName('timewindow', ['timeWindow', 'max'])).toBe('timeWindow')
      expect(closestName('completelyDifferent', ['max'])).toBeUndefined()
    })
  })
})
