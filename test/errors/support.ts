// Shared by the errors tests: a real pino destination that keeps every log line, and a problem check.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { expect } from 'vitest'
import { captureLogs, type LogLine } from '../helpers/logs.js'

export { captureLogs, type LogLine }

/** A Fastify app logging at `info` to a captured stream. */
export function appWithLogs(options: FastifyServerOptions = {}): { app: FastifyInstance; lines: LogLine[] } {
  const { stream, lines } = captureLogs()
  const app = Fastify({ ...options, logger: { level: 'info', stream } })
  return { app, lines }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

interface InjectLike {
  statusCode: number
  headers: Record<string, unknown>
  json: () => unknown
}

/** Asserts a response is a problem document of this status and code, and returns its body. */
export function expectProblem(res: InjectLike, status: number, code: string): Record<string, unknown> {
  expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE)
  const body = res.json() as Record<string, unknown>
  expect({ httpStatus: res.statusCode, status: body.status, code: body.code }).toEqual({
    httpStatus: status,
    status,
    code,
  })
  expect(typeof body.title).toBe('string')
  expect(typeof body.detail).toBe('string')
  expect(typeof body.type).toBe('string')
  expect(typeof body.instance).toBe('string')
  expect(typeof body.requestId).toBe('string')
  return body
}

/** Log lines of one level (pino numbers: 30 info, 40 warn, 50 error). */
export function linesAt(lines: LogLine[], level: number): LogLine[] {
  return lines.filter((line) => line.level === level)
}
