import { defineConfig } from 'tsup'

/** One entry per public subpath; `package.json#exports` mirrors this list. */
export const entries = {
  index: 'src/index.ts',
  'auth/index': 'src/auth/index.ts',
  'errors/index': 'src/errors/index.ts',
  'request-id/index': 'src/request-id/index.ts',
  'security/index': 'src/security/index.ts',
  'health/index': 'src/health/index.ts',
  'pagination/index': 'src/pagination/index.ts',
  'resource-server/index': 'src/resource-server/index.ts',
  'openapi/index': 'src/openapi/index.ts',
}

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  // Shared chunks keep one copy of each module per format, so `fastify-keel` and
  // `fastify-keel/errors` hand out the same classes and symbols.
  splitting: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
})
