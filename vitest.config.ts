import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = fileURLToPath(new URL('./src/', import.meta.url))
// The example's own tests start `src/main.ts` with tsx; this tsconfig maps `fastify-keel` to the sources there too.
process.env.TSX_TSCONFIG_PATH ??= fileURLToPath(new URL('./tsconfig.json', import.meta.url))

export default defineConfig({
  resolve: {
    // Tests and the example import the package by its public name, resolved to the sources.
    alias: [
      { find: /^fastify-keel$/, replacement: `${src}index.ts` },
      { find: /^fastify-keel\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/package/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
