// The example's OpenAPI document, as third-party tools see it: Redocly's recommended ruleset finds no error and only
// the warnings docs/openapi.md justifies, and @readme/openapi-parser validates it, in OpenAPI 3.0 and 3.1.
// app.swagger() is typed by @fastify/swagger's augmentation; keelOpenApi registers the plugin at run time.
import type {} from '@fastify/swagger'
import { validate } from '@readme/openapi-parser'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { pgliteTarget, type Target, testConfig } from './harness.js'

/** The warnings docs/openapi.md justifies ("Linting"): the probes answer no 4XX (nothing a client sends is refused). */
const JUSTIFIED = [
  'operation-4xx-response /paths/~1health~1live/get/responses',
  'operation-4xx-response /paths/~1health~1ready/get/responses',
]

describe.each(['3.0.3', '3.1.0'] as const)('example OpenAPI %s document', (version) => {
  let target: Target
  let document: Record<string, unknown>

  beforeAll(async () => {
    target = await pgliteTarget()
    const app = await buildApp(testConfig(target), { logger: false, openapiVersion: version })
    try {
      await app.ready()
      document = structuredClone(app.swagger()) as unknown as Record<string, unknown>
    } finally {
      await app.close()
    }
  }, 60_000)

  afterAll(async () => {
    await target?.cleanup()
  })

  it('should be the OpenAPI version asked for', () => {
    expect(document.openapi).toBe(version)
  })

  it("should pass Redocly's recommended ruleset with no error and only the justified warnings", async () => {
    const config = await createConfig({ extends: ['recommended'] })
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config })
    const found = problems.map((p) => ({
      severity: p.severity,
      rule: `${p.ruleId} ${p.location[0]?.pointer?.replace(/^#/, '') ?? ''}`,
      message: p.message,
    }))
    expect(found.filter((p) => p.severity === 'error')).toEqual([])
    expect(found.map((p) => p.rule).sort()).toEqual([...JUSTIFIED].sort())
  })

  it('should be valid for @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0])
    expect(result.valid, JSON.stringify(result)).toBe(true)
  })

  it('should name its components from $ids, with no def-N', () => {
    const schemas = Object.keys((document.components as { schemas: Record<string, unknown> }).schemas)
    expect(schemas).toContain('ProblemDetails')
    expect(schemas.filter((name) => /^def-\d+$/.test(name) || name.startsWith('Keel'))).toEqual([])
  })

  it('should declare the Link header of the paginated listing', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>
    expect(Object.keys(paths['/users']?.get?.responses['200']?.headers ?? {})).toContain('Link')
  })
})
