// The container files say what the README promises (no Docker needed to check them): a multi-stage build that
// runs the compiled app as a non-root user listening on every interface, and a Redis that keeps sessions.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (name: string) => readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')

describe('example container files', () => {
  it('should build in one stage and run dist/ as a non-root user in production mode in another', () => {
    const dockerfile = read('Dockerfile')
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2)
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(/NODE_ENV=production/)
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/)
    expect(dockerfile).toMatch(/^CMD \[.*"dist\/main\.js"\]$/m)
    expect(dockerfile).toMatch(/^COPY migrations /m)
  })

  it('should run Redis with AOF and noeviction, and PostgreSQL, in compose.yaml', () => {
    const compose = read('compose.yaml')
    expect(compose).toContain('"--appendonly", "yes"')
    expect(compose).toContain('"--maxmemory-policy", "noeviction"')
    expect(compose).toMatch(/^ {2}postgres:$/m)
    expect(compose).toMatch(/DATABASE_URL: postgres:\/\//)
  })

  it('should keep the embedded database, builds and secrets out of git', () => {
    const ignored = read('.gitignore').split('\n')
    for (const entry of ['.data/', 'dist/', 'node_modules/', '.env']) expect(ignored).toContain(entry)
  })
})
