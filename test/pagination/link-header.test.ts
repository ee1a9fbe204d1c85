import { linkHeader } from 'fastify-keel/pagination'
import LinkHeader from 'http-link-header'
import { describe, expect, it } from 'vitest'

const ORIGIN = 'http://localhost'

function links(value: string): Record<string, URL> {
  const out: Record<string, URL> = {}
  for (const ref of LinkHeader.parse(value).refs) out[ref.rel] = new URL(ref.uri, ORIGIN)
  return out
}

describe('pagination', () => {
  it('should give first, prev, next and last for a middle page', () => {
    const parsed = links(linkHeader({ url: '/users', page: 3, limit: 10, total: 95 }))
    expect(Object.keys(parsed).sort()).toEqual(['first', 'last', 'next', 'prev'])
    expect(parsed.first?.searchParams.get('page')).toBe('1')
    expect(parsed.prev?.searchParams.get('page')).toBe('2')
    expect(parsed.next?.searchParams.get('page')).toBe('4')
    expect(parsed.last?.searchParams.get('page')).toBe('10')
    for (const url of Object.values(parsed)) {
      expect(url.pathname).toBe('/users')
      expect(url.searchParams.get('limit')).toBe('10')
    }
  })

  it('should leave out prev on the first page and next on the last', () => {
    expect(Object.keys(links(linkHeader({ url: '/u', page: 1, limit: 10, total: 30 }))).sort()).toEqual([
      'first',
      'last',
      'next',
    ])
    expect(Object.keys(links(linkHeader({ url: '/u', page: 3, limit: 10, total: 30 }))).sort()).toEqual([
      'first',
      'last',
      'prev',
    ])
  })

  it('should point first and last at page 1 for an empty result', () => {
    const parsed = links(linkHeader({ url: '/u', page: 1, limit: 10, total: 0 }))
    expect(Object.keys(parsed).sort()).toEqual(['first', 'last'])
    expect(parsed.last?.searchParams.get('page')).toBe('1')
  })

  it('should point prev at the last page when the page is past the end', () => {
    const parsed = links(linkHeader({ url: '/u', page: 9, limit: 10, total: 30 }))
    expect(parsed.prev?.searchParams.get('page')).toBe('3')
    expect(parsed.next).toBeUndefined()
  })

  it('should keep the request query parameters, repeated ones included, and replace page and limit', () => {
    const url = '/users?status=active&tag=a&tag=b&page=2&limit=5&q=caf%C3%A9%20%26%20bar'
    const parsed = links(linkHeader({ url, page: 2, limit: 5, total: 50 }))
    const next = parsed.next as URL
    expect(next.searchParams.get('status')).toBe('active')
    expect(next.searchParams.getAll('tag')).toEqual(['a', 'b'])
    expect(next.searchParams.get('q')).toBe('café & bar')
    expect(next.searchParams.getAll('page')).toEqual(['3'])
    expect(next.searchParams.getAll('limit')).toEqual(['5'])
  })

  it('should encode query values given as an object', () => {
    const query = { q: 'a>b, "c"; rel=evil', tags: ['x y', 'z&w'], empty: undefined, none: null, flag: true, page: 1 }
    const value = linkHeader({ url: '/search', query, page: 1, limit: 20, total: 100 })
    const next = links(value).next as URL
    expect(next.searchParams.get('q')).toBe('a>b, "c"; rel=evil')
    expect(next.searchParams.getAll('tags')).toEqual(['x y', 'z&w'])
    expect(next.searchParams.get('flag')).toBe('true')
    expect(next.searchParams.has('empty')).toBe(false)
    expect(next.searchParams.has('none')).toBe(false)
    expect(LinkHeader.parse(value).refs).toHaveLength(3)
  })

  it('should percent-encode characters in the path that could break the header', () => {
    const value = linkHeader({ url: '/a b/<x>"\r\n/ü', page: 1, limit: 10, total: 20 })
    expect(value).not.toMatch(/[\r\n]/)
    const parsed = LinkHeader.parse(value).refs
    expect(parsed).toHaveLength(3)
    expect(new URL(parsed[0]?.uri as string, ORIGIN).pathname).toBe('/a%20b/%3Cx%3E%22%0D%0A/%C3%BC')
  })

  it('should keep an absolute URL', () => {
    const next = links(linkHeader({ url: 'https://api.example.com/v1/users?x=1', page: 1, limit: 10, total: 11 })).next
    expect(next?.href).toBe('https://api.example.com/v1/users?x=1&page=2&limit=10')
  })

  it('should give a next link with the cursor for a cursor page', () => {
    const value = linkHeader({ url: '/events?type=login&limit=5&cursor=old', nextCursor: 'eyJ-abc_1.sig' })
    const parsed = links(value)
    expect(Object.keys(parsed)).toEqual(['next'])
    expect(parsed.next?.searchParams.get('cursor')).toBe('eyJ-abc_1.sig')
    expect(parsed.next?.searchParams.get('type')).toBe('login')
    expect(parsed.next?.searchParams.get('limit')).toBe('5')
  })

  it('should give no link on the last cursor page', () => {
    expect(linkHeader({ url: '/events', nextCursor: null })).toBe('')
  })

  it.each([
    ['limit 0', { page: 1, limit: 0, total: 10 }],
    ['a negative limit', { page: 1, limit: -5, total: 10 }],
    ['a fractional limit', { page: 1, limit: 2.5, total: 10 }],
    ['a NaN limit', { page: 1, limit: Number.NaN, total: 10 }],
    ['an Infinity limit', { page: 1, limit: Number.POSITIVE_INFINITY, total: 10 }],
    ['page 0', { page: 0, limit: 10, total: 10 }],
    ['a fractional page', { page: 1.5, limit: 10, total: 10 }],
    ['an Infinity page', { page: Number.POSITIVE_INFINITY, limit: 10, total: 10 }],
    ['a negative total', { page: 1, limit: 10, total: -1 }],
    ['an Infinity total', { page: 1, limit: 10, total: Number.POSITIVE_INFINITY }],
    ['a string limit', { page: 1, limit: '10' as unknown as number, total: 10 }],
  ])('should refuse an offset page with %s instead of linking to impossible pages', (_name, position) => {
    expect(() => linkHeader({ url: '/u', ...position })).toThrow(TypeError)
  })

  it.each([
    ['limit 0', { nextCursor: 'abc', limit: 0 }],
    ['a fractional limit', { nextCursor: 'abc', limit: 1.5 }],
    ['limit 0 on the last page', { nextCursor: null, limit: 0 }],
    ['a cursor that is not a string', { nextCursor: 42 as unknown as string }],
  ])('should refuse a cursor page with %s', (_name, input) => {
    expect(() => linkHeader({ url: '/events', ...input })).toThrow(TypeError)
  })
})
