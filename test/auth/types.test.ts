import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The main type-check sees every test at once, @fastify/jwt's own tests included, so it cannot show what
// importing fastify-keel/auth alone types. These programs are checked on their own, with skipLibCheck off.
const root = fileURLToPath(new URL('../../', import.meta.url))

function typeCheck(project: string): Promise<{ code: number; output: string }> {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url))
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', `test/auth/types/${project}`], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), output: stdout + stderr })
    })
  })
}

describe('auth', () => {
  describe('types', () => {
    it('should type what keelAuth decorates and none of @fastify/jwt (wrong uses are @ts-expect-error)', async () => {
      expect(await typeCheck('tsconfig.json')).toEqual({ code: 0, output: '' })
    }, 120_000)

    it('should type keelResourceServer without app.tokens, and jti as optional', async () => {
      expect(await typeCheck('tsconfig.resource-server.json')).toEqual({ code: 0, output: '' })
    }, 120_000)

    it("should agree with an app's own @fastify/jwt on request.user", async () => {
      expect(await typeCheck('tsconfig.with-jwt.json')).toEqual({ code: 0, output: '' })
    }, 120_000)
  })
})
