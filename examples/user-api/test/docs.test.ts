// The OpenAPI document is valid OpenAPI 3 and documents every route's success and error responses; the
// Swagger UI page renders in a real headless Chromium under the app's security headers.
import { existsSync } from 'node:fs'
import { validate } from '@readme/openapi-parser'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteTarget, type Running, startApp, type Target, testConfig } from './harness.js'

const CHROMIUM = '/usr/bin/chromium'
const isCI = process.env.CI === 'true' || process.env.CI === '1'
const hasBrowser = existsSync(CHROMIUM)
if (!hasBrowser && !isCI) console.warn(`[skip] example /docs browser test: no browser at ${CHROMIUM}`)

/** Every operation of the API (the table of issue 8), as OpenAPI paths. */
const OPERATIONS = [
  'post /auth/register',
  'post /auth/login',
  'post /auth/refresh',
  'post /auth/logout',
  'get /auth/sessions',
  'delete /auth/sessions/{id}',
  'get /users/me',
  'patch /users/me',
  'put /users/me/password',
  'get /users',
  'get /users/{id}',
  'patch /users/{id}',
  'delete /users/{id}',
  'get /health/live',
  'get /health/ready',
]

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>
  requestBody?: unknown
  parameters?: Array<{ in: string; name: string }>
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> }

describe('example docs', () => {
  let target: Target
  let running: Running
  let document: OpenApi

  beforeAll(async () => {
    target = await pgliteTarget()
    running = await startApp(testConfig(target))
    const response = await fetch(`${running.url}/docs/json`)
    expect(response.status).toBe(200)
    document = (await response.json()) as OpenApi
  }, 60_000)

  afterAll(async () => {
    await running?.close()
    await target?.cleanup()
  })

  it('should serve a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./)
    // The validator dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0])
    expect(result.valid, JSON.stringify(result)).toBe(true)
  })

  it('should list exactly the API operations', () => {
    const listed = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    )
    expect(listed.sort()).toEqual([...OPERATIONS].sort())
  })

  it.each(OPERATIONS)('should document the success and problem responses of %s', (operation) => {
    const [method, path] = operation.split(' ') as [string, string]
    const responses = document.paths[path]?.[method]?.responses ?? {}
    const statuses = Object.keys(responses)
    expect(statuses.some((s) => /^2\d\d$/.test(s))).toBe(true)
    const errors = statuses.filter((s) => /^[45]\d\d$/.test(s))
    expect(errors.length).toBeGreaterThan(0)
    // Any operation can answer 500 on a failure, and 503 where keel can (load shedding, the token store down:
    // keelOpenApi derives which); the probes answer a failure with a 503 health document.
    expect(errors).toEqual(expect.arrayContaining(path.startsWith('/health/') ? ['500', '503'] : ['500']))
    for (const status of errors) {
      const content = responses[status]?.content ?? {}
      const schema = Object.values(content)[0]?.schema
      expect(schema, `${operation} ${status}`).toBeDefined()
      const text = JSON.stringify(schema)
      // A problem document (inline or by reference to the ProblemDetails component); a failing health
      // probe answers with the health document itself (IETF health check format).
      const documented =
        path.startsWith('/health/') && status === '503'
          ? text.includes('"checks"') && text.includes('"fail"')
          : text.includes('"code"') || text.includes('ProblemDetails')
      expect(documented, `${operation} ${status}: ${text}`).toBe(true)
    }
  })

  it('should describe request bodies and path parameters', () => {
    for (const operation of OPERATIONS) {
      const [method, path] = operation.split(' ') as [string, string]
      const spec = document.paths[path]?.[method]
      if (['post', 'patch', 'put'].includes(method)) expect(spec?.requestBody, operation).toBeDefined()
      if (path.includes('{id}')) expect(spec?.parameters?.map((p) => `${p.in}:${p.name}`)).toContain('path:id')
    }
    const list = document.paths['/users']?.get?.parameters?.map((p) => `${p.in}:${p.name}`)
    expect(list).toEqual(expect.arrayContaining(['query:limit', 'query:cursor', 'query:sort', 'query:q']))
  })

  it.runIf(hasBrowser || isCI)(
    'should render the operations in Swagger UI in headless Chromium',
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      })
      try {
        const page = await browser.newPage()
        const problems: string[] = []
        page.on('console', (message) => {
          if (message.type() === 'error') problems.push(message.text())
        })
        page.on('pageerror', (error) => problems.push(error.message))
        const response = await page.goto(`${running.url}/docs`)
        expect(response?.status()).toBe(200)
        await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 })
        const shown = await page.$$eval('.opblock', (blocks) =>
          blocks.map((block) => {
            const method = block.querySelector('.opblock-summary-method')?.textContent ?? ''
            const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''
            return `${method.toLowerCase()} ${path}`
          }),
        )
        expect(shown.sort()).toEqual([...OPERATIONS].sort())
        expect(problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([])
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})
