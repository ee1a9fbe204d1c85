// The CSRF check of cookie mode. A browser attaches the refresh cookie to any request to its path, including a form
// another site submits, so every unsafe request there must prove it comes from the app's own pages:
// 1. it carries the custom header (`csrfHeader`): a cross-site form cannot set headers, and a cross-origin script
//    can only after a CORS preflight, which keelSecurity answers for its allowlist alone;
// 2. the browser says where it comes from: `Sec-Fetch-Site: same-origin`, or an `Origin` that is the API's own
//    or an origin keelSecurity lets send credentials. Requests with neither header come from non-browser
//    clients (or browsers too old to send them), which step 1 still covers.
import type { FastifyRequest } from 'fastify'
import type { KeelCorsPolicy } from '../security/cors-policy.js'

/** The origins trusted to send the refresh cookie cross-origin: keelSecurity's, when it allows credentials. */
export function trustedOrigins(policy: KeelCorsPolicy | undefined): ReadonlySet<string> {
  if (policy === undefined || !policy.credentials || policy.origins === '*') return new Set()
  return new Set(policy.origins)
}

/** Whether `request` passes the check; `trusted` is read on each call (it is resolved when the app is ready). */
export function createCsrfCheck(
  header: string,
  trusted: () => ReadonlySet<string>,
): (request: FastifyRequest) => boolean {
  return function passesCsrfCheck(request) {
    const headers = request.headers
    const token = headers[header]
    if (typeof token !== 'string' || token === '') return false
    const site = headers['sec-fetch-site']
    if (site === 'same-origin') return true
    const origin = headers.origin
    if (origin === undefined) return site === undefined
    if (trusted().has(origin)) return true
    // Browsers without Sec-Fetch-Site still send Origin: accept the API's own (needs trustProxy behind a proxy).
    return site !== 'cross-site' && origin === `${request.protocol}://${request.host}`
  }
}
