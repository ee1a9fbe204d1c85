import { HttpError, httpErrors, isHttpError } from 'fastify-keel/errors'
import { describe, expect, it } from 'vitest'

describe('HttpError', () => {
  it('should be operational by default for 503 only, and as the raiser says otherwise', () => {
    expect(new HttpError(503).operational).toBe(true)
    expect(new HttpError(500).operational).toBe(false)
    expect(new HttpError(502, 'down', { operational: true }).operational).toBe(true)
    expect(new HttpError(503, 'bug', { operational: false }).operational).toBe(false)
  })

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

  it('should not let instanceof a subclass accept a plain HttpError', () => {
    class UserConflictError extends HttpError {
      constructor() {
        super(409, 'Email already registered', { code: 'USER_EMAIL_TAKEN' })
      }
    }
    const conflict = new UserConflictError()
    expect(conflict instanceof UserConflictError).toBe(true)
    expect(conflict instanceof HttpError).toBe(true)
    expect(conflict instanceof Error).toBe(true)
    expect(httpErrors.notFound() instanceof UserConflictError).toBe(false)
    expect(new Error('x') instanceof UserConflictError).toBe(false)
    // The other build's HttpError carries the brand but not this module's prototype.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('fastify-keel.HttpError'), { value: true })
    expect(foreign instanceof HttpError).toBe(true)
    expect(foreign instanceof UserConflictError).toBe(false)
  })

  const badCodes: Array<[string, unknown]> = [
    ['a newline', 'BAD_CODE\n'],
    ['spaces', 'bad code'],
    ['lower case', 'user_not_found'],
    ['a leading digit', '1_FAILED'],
    ['a leading underscore', '_FAILED'],
    ['an empty string', ''],
    ['over 64 characters', `A${'_B'.repeat(32)}`],
    ['a non-string', 42],
  ]
  it.each(badCodes)('should reject a code with %s', (_name, code) => {
    expect(() => new HttpError(400, 'x', { code: code as string })).toThrow(TypeError)
    expect(() => httpErrors.conflict('x', { code: code as string })).toThrow(TypeError)
  })

  it('should accept SCREAMING_SNAKE codes up to 64 characters', () => {
    expect(new HttpError(400, 'x', { code: 'A1_B__C_' }).code).toBe('A1_B__C_')
    expect(new HttpError(400, 'x', { code: 'A'.repeat(64) }).code).toHaveLength(64)
  })
})
