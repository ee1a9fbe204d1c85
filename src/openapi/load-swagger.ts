// @fastify/swagger is an optional peer dependency: only apps that publish a document install it. It is loaded once,
// at register time, and its absence fails the boot with the command that fixes it.
import type { FastifyPluginAsync } from 'fastify'
import type { OptionsReader } from '../internal/options.js'

/** Loads @fastify/swagger's plugin, or throws `KEEL_ERR_OPENAPI_SWAGGER_MISSING`. */
export async function loadSwagger(read: OptionsReader): Promise<FastifyPluginAsync<Record<string, unknown>>> {
  let loaded: { default?: unknown }
  try {
    loaded = (await import('@fastify/swagger')) as { default?: unknown }
  } catch {
    throw read.misuse(
      'KEEL_ERR_OPENAPI_SWAGGER_MISSING',
      'keelOpenApi builds the document with @fastify/swagger, an optional peer dependency that is not installed',
      'run `npm install @fastify/swagger` (version 9)',
    )
  }
  // CommonJS interop: the plugin is the default export, itself carrying `default` when loaded through require.
  const plugin = (loaded.default as { default?: unknown } | undefined)?.default ?? loaded.default ?? loaded
  return plugin as FastifyPluginAsync<Record<string, unknown>>
}
