import { HttpError, httpErrors, isHttpError } from 'fastify-keel/errors'
import { describe, expect, it } from 'vitest'

describe('HttpError', () => {
  it('should derive title-based code and expose 4xx details', () => {
    const error = httpErrors.notFound('User not found')
    expect(error.statusCode).toBe(404)
    expect(error.status).toBe(404)
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toBe('User not found')
    expect(error.expose).toBe(true)
  })

  it('should keep a given code, extensions and headers', () => {
    const error = new HttpError(422, 'Cannot delete the last admin', {
      code: 'LAST_ADMIN',
      extensions: { userId: 7 },
      headers: { 'retry-after': '3' },
    })
    expect(error.code).toBe('LAST_ADMIN')
    expect(error.extensions).toEqual({ userId: 7 })
    expect(error.headers).toEqual({ 'retry-after': '3' })
  })

  it('should not expose 5xx details by default', () => {
    expect(httpErrors.internalServerError('db down').expose).toBe(false)
    expect(httpErrors.imATeapot().code).toBe('IM_A_TEAPOT')
  })

  it('should default the detail to the status title', () => {
    expect(httpErrors.tooManyRequests().message).toBe('Too Many Requests')
  })

  it('should reject a status outside 400..599', () => {
    expect(() => new HttpError(200)).toThrow(TypeError)
    expect(() => new HttpError(600)).toThrow(TypeError)
  })

  it('should be recognised by a brand, not only by prototype', () => {
    const error = httpErrors.conflict()
    expect(isHttpError(error)).toBe(true)
    expect(error instanceof HttpError).toBe(true)
    expect(isHttpError(new Error('x'))).toBe(false)
    expect(isHttpError({ statusCode: 404 })).toBe(false)
    expect(isHttpError(null)).toBe(false)
    // A look-alike carrying the shared brand (as the other ESM/CJS build would create) is recognised.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('fastify-keel.HttpError'), { value: true })
    expect(isHttpError(foreign)).toBe(true)
  })
})
