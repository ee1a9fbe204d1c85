import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'
import { KeelConfigError } from '../internal/config-error.js'

type CspOptions = Exclude<NonNullable<HelmetOptions['contentSecurityPolicy']>, boolean>
type Directives = NonNullable<CspOptions['directives']>

/**
 * keel's helmet defaults for a JSON API (OWASP REST Security cheat sheet): nothing may load or frame a
 * response. helmet's headers for HTML pages and legacy browsers are off: they mean nothing to an API client
 * and each one costs Node's header validation and writing on every response. `true` turns one back on.
 */
export const keelHelmetDefaults: Readonly<HelmetOptions> = Object.freeze<HelmetOptions>({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
})

// helmet accepts two names for several options and throws when both are given; merge on one name.
const aliases: Readonly<Record<string, string>> = {
  frameguard: 'xFrameOptions',
  hsts: 'strictTransportSecurity',
  noSniff: 'xContentTypeOptions',
  dnsPrefetchControl: 'xDnsPrefetchControl',
  ieNoOpen: 'xDownloadOptions',
  permittedCrossDomainPolicies: 'xPermittedCrossDomainPolicies',
  hidePoweredBy: 'xPoweredBy',
  xssFilter: 'xXssProtection',
}

function canonical(options: HelmetOptions): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) result[aliases[key] ?? key] = value
  return result
}

function kebabDirectives(directives: Directives | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  if (directives === undefined) return result
  for (const [name, value] of Object.entries(directives)) {
    result[name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)] = value
  }
  return result
}

/**
 * `override` over `base`: each helmet option replaces the base one, except CSP directives, which are merged
 * directive by directive (unless the override sets `useDefaults: true`, asking for helmet's own set).
 */
export function mergeHelmetOptions(base: HelmetOptions, override: HelmetOptions): HelmetOptions {
  const result = canonical(base)
  for (const [key, value] of Object.entries(canonical(override))) {
    // `true` means "the default", which for an option keel sets is keel's value; for a header keel turns
    // off, it is helmet's default (the header is sent again).
    if (value === undefined || (value === true && key in result && result[key] !== false)) continue
    const current = result[key]
    if (key === 'contentSecurityPolicy' && typeof value === 'object' && value !== null && typeof current === 'object') {
      const baseCsp = current as CspOptions
      const overrideCsp = value as CspOptions
      const useDefaults = overrideCsp.useDefaults ?? baseCsp.useDefaults ?? false
      const directives = overrideCsp.useDefaults
        ? kebabDirectives(overrideCsp.directives)
        : { ...kebabDirectives(baseCsp.directives), ...kebabDirectives(overrideCsp.directives) }
      result[key] = { ...baseCsp, ...overrideCsp, useDefaults, directives }
    } else {
      result[key] = value
    }
  }
  return result as HelmetOptions
}

function assertStaticCsp(options: HelmetOptions, where: string): void {
  const csp = options.contentSecurityPolicy
  if (typeof csp !== 'object' || csp === null || csp.directives === undefined) return
  for (const [name, value] of Object.entries(csp.directives)) {
    const values: unknown[] = Array.isArray(value) ? value : [value]
    if (values.some((item) => typeof item === 'function')) {
      throw new KeelConfigError(
        'KEEL_ERR_SECURITY_DYNAMIC_CSP',
        `keelSecurity: ${where} CSP directive "${name}" is a function; security headers are computed once, so ` +
          'per-request values (nonces) are not supported. Use static sources or hashes.',
      )
    }
  }
}

/**
 * Runs helmet once against a stand-in response and returns the headers it would set, lowercased.
 * Throws helmet's own error for invalid options.
 */
export function computeSecurityHeaders(options: HelmetOptions, where: string): Record<string, string> {
  if ('enableCSPNonces' in options) {
    throw new KeelConfigError(
      'KEEL_ERR_SECURITY_DYNAMIC_CSP',
      `keelSecurity: ${where} "enableCSPNonces" is not supported; security headers are computed once at startup`,
    )
  }
  assertStaticCsp(options, where)
  const headers: Record<string, string> = {}
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failure: unknown
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error
  })
  if (failure !== undefined) throw failure
  return headers
}
