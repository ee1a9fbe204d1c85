// Type-checked on its own by types.test.ts (a program that imports fastify-keel/resource-server and not
// fastify-keel/auth): resource-server mode types what keelResourceServer decorates, and no `app.tokens`.
import Fastify from 'fastify'
import { type KeelAuthUser, type KeelIssuerOptions, keelResourceServer } from 'fastify-keel/resource-server'

declare module 'fastify-keel/resource-server' {
  interface KeelUser {
    tenantId?: string
  }
}

const issuer: KeelIssuerOptions = {
  issuer: 'https://idp.example.com/realms/main',
  discovery: true,
  audience: ['orders-api'],
  algorithms: ['RS256', 'ES256'],
  typ: 'at+jwt',
  claims: {
    subject: 'sub',
    roles: (claims) => (claims.realm_access as { roles?: string[] } | undefined)?.roles,
    permissions: ['https://example.com/permissions'],
  },
  maxCacheTtl: '12h',
}

const app = Fastify()
await app.register(keelResourceServer, {
  issuers: [issuer],
  clockTolerance: '10s',
  issuersHealthCheck: { critical: false },
})

app.get(
  '/orders',
  { onRequest: [app.authenticate, app.authorize({ permissions: ['orders:read'] })] },
  async (request) => {
    const user: KeelAuthUser = request.user
    const tenant: string | undefined = user.tenantId
    const roles: string[] = user.roles
    const jti: string | undefined = user.jti
    // @ts-expect-error an identity provider's token may have no jti
    const id: string = user.jti
    return { sub: user.sub, tenant, roles, jti, id }
  },
)
const refused = app.authError('TOKEN_KEYS_UNAVAILABLE')

// @ts-expect-error keel issues no tokens in resource-server mode: there is no app.tokens
app.tokens.issue({ sub: 'u1' })
// @ts-expect-error the allowlist holds asymmetric algorithms only
await app.register(keelResourceServer, { issuers: [{ ...issuer, algorithms: ['HS256'] }] })
// @ts-expect-error issuers are required
await app.register(keelResourceServer, {})
// @ts-expect-error an issuer needs an audience
const withoutAudience: KeelIssuerOptions = { issuer: 'https://idp.test/', discovery: true, algorithms: ['RS256'] }
// @ts-expect-error keelResourceServer has no signing options
await app.register(keelResourceServer, { issuers: [issuer], secret: 'x'.repeat(32) })

export { refused, withoutAudience }
