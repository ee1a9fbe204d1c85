// Every code registry of every subpath, side by side: one shape, one name style, frozen; each response code defined
// in exactly one registry, its owner's, with one status wherever it is sent (foreign codes mapped onto it included).
import * as root from 'fastify-keel'
import * as auth from 'fastify-keel/auth'
import * as errors from 'fastify-keel/errors'
import * as health from 'fastify-keel/health'
import * as openapi from 'fastify-keel/openapi'
import * as pagination from 'fastify-keel/pagination'
import * as requestId from 'fastify-keel/request-id'
import * as security from 'fastify-keel/security'
import { describe, expect, it } from 'vitest'
import { OWNED_ELSEWHERE } from '../../src/errors/codes.js'

const subpaths: Record<string, Record<string, unknown>> = {
  preset: root,
  auth,
  errors,
  health,
  pagination,
  openapi,
  'request-id': requestId,
  security,
}

interface Registry {
  readonly subpath: string
  readonly name: string
  readonly kind: 'response' | 'config'
  readonly value: Readonly<Record<string, unknown>>
}

/** Every exported registry; the old name style (`authErrorCodes`) is found too, so the name test can refuse it. */
function registries(): Registry[] {
  const found: Registry[] = []
  for (const [subpath, exports] of Object.entries(subpaths)) {
    for (const [name, value] of Object.entries(exports)) {
      const config = /_CONFIG_CODES$|Config(?:Error)?Codes$/.test(name)
      const kind = config ? 'config' : /(?:^|_)ERROR_CODES$|ErrorCodes$/.test(name) ? 'response' : undefined
      if (kind === undefined || typeof value !== 'object' || value === null) continue
      found.push({ subpath, name, kind, value: value as Record<string, unknown> })
    }
  }
  return found
}

function statusOf(info: unknown): number {
  return (info as { status: number }).status
}

const all = registries()

describe('code registries', () => {
  it('should find a response and a config registry where each subpath has them', () => {
    const names = all.map(({ subpath, name }) => `${subpath}:${name}`)
    for (const subpath of ['errors', 'health', 'pagination', 'auth', 'security']) {
      expect(
        all.some((r) => r.subpath === subpath && r.kind === 'response'),
        subpath,
      ).toBe(true)
    }
    for (const subpath of Object.keys(subpaths)) {
      expect(
        all.some((r) => r.subpath === subpath && r.kind === 'config'),
        `${subpath} in ${names.join(', ')}`,
      ).toBe(true)
    }
  })

  it('should name every registry <FEATURE>_ERROR_CODES / <FEATURE>_CONFIG_CODES', () => {
    const expected: Record<string, [string, string]> = {
      preset: ['', 'PRESET_CONFIG_CODES'],
      errors: ['ERROR_CODES', 'ERRORS_CONFIG_CODES'],
      health: ['HEALTH_ERROR_CODES', 'HEALTH_CONFIG_CODES'],
      pagination: ['PAGINATION_ERROR_CODES', 'PAGINATION_CONFIG_CODES'],
      'request-id': ['', 'REQUEST_ID_CONFIG_CODES'],
      openapi: ['', 'OPENAPI_CONFIG_CODES'],
      auth: ['AUTH_ERROR_CODES', 'AUTH_CONFIG_CODES'],
      security: ['SECURITY_ERROR_CODES', 'SECURITY_CONFIG_CODES'],
    }
    for (const { subpath, name, kind } of all) {
      const [response, config] = expected[subpath] as [string, string]
      expect(name, subpath).toBe(kind === 'response' ? response : config)
    }
  })

  it('should give every entry one shape: { status, when } or { when, fix }, frozen all the way down', () => {
    for (const { subpath, name, kind, value } of all) {
      expect(Object.isFrozen(value), name).toBe(true)
      for (const [code, info] of Object.entries(value)) {
        expect(Object.isFrozen(info), `${name}.${code}`).toBe(true)
        if (kind === 'response') {
          expect(code, name).toMatch(/^[A-Z][A-Z0-9_]*$/)
          expect(info).toEqual({ status: expect.any(Number), when: expect.any(String) })
          expect(statusOf(info)).toBeGreaterThanOrEqual(400)
          expect(statusOf(info)).toBeLessThanOrEqual(599)
        } else {
          const feature = subpath === 'errors' ? 'ERRORS' : subpath.toUpperCase().replace('-', '_')
          expect(code, name).toMatch(new RegExp(`^KEEL_ERR_${feature}_[A-Z_]+$`))
          expect(info).toEqual({ when: expect.any(String), fix: expect.any(String) })
        }
      }
      if (kind === 'config') {
        const feature = subpath === 'errors' ? 'ERRORS' : subpath.toUpperCase().replace('-', '_')
        expect(Object.keys(value), name).toContain(`KEEL_ERR_${feature}_INVALID_OPTION`)
      }
    }
  })

  it('should define every response code in exactly one registry', () => {
    const owners = new Map<string, string[]>()
    for (const { subpath, name, kind, value } of all) {
      if (kind !== 'response') continue
      for (const code of Object.keys(value)) owners.set(code, [...(owners.get(code) ?? []), `${subpath}:${name}`])
    }
    const twice = [...owners].filter(([, where]) => where.length > 1)
    expect(twice).toEqual([])
  })

  it('should give every code one status, wherever it is sent, mapped foreign codes included', () => {
    const statuses = new Map<string, number>()
    for (const { kind, value } of all) {
      if (kind !== 'response') continue
      for (const [code, info] of Object.entries(value)) statuses.set(code, statusOf(info))
    }
    // The codes of the errors of @fastify/jwt, rate-limit and under-pressure: errors sends them with these statuses.
    for (const [code, status] of Object.entries(OWNED_ELSEWHERE)) {
      expect({ code, status }).toEqual({ code, status: statuses.get(code) })
    }
    for (const [foreign, code] of Object.entries(errors.FOREIGN_CODE_MAP)) {
      expect(statuses.has(code), `${foreign} maps onto ${code}, which no registry defines`).toBe(true)
    }
  })

  it('should keep config codes apart from response codes', () => {
    const response = new Set(all.filter((r) => r.kind === 'response').flatMap((r) => Object.keys(r.value)))
    for (const { name, kind, value } of all) {
      if (kind === 'config')
        for (const code of Object.keys(value)) expect(response.has(code), `${name}.${code}`).toBe(false)
    }
  })
})
