// The one problem-document assertion of every feature's tests.
import { expect } from 'vitest'

/** The media type every keel error response is sent with. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/** What `app.inject()` and a `fetch` wrapper both give: a status, headers and a JSON body. */
export interface ProblemResponse {
  statusCode: number
  headers: Record<string, unknown>
  json: () => unknown
}

/** Asserts a response is a problem document of this status and code, and returns its body. */
export function expectProblem(res: ProblemResponse, status: number, code: string): Record<string, unknown> {
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
