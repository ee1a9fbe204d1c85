// Starts the user API: reads the configuration from the environment, listens, prints the URL, and shuts
// down gracefully on Ctrl-C (SIGINT) or SIGTERM: in-flight requests finish, connections close.
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

function readConfig() {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
}

const config = readConfig()
const app = await buildApp(config)

let closing = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (closing) {
      // A second Ctrl-C: stop waiting.
      app.log.warn({ signal }, 'forced exit')
      process.exit(1)
    }
    closing = true
    app.log.info({ signal }, 'shutting down')
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}

const url = await app.listen({ port: config.port, host: config.host })
console.log(`fastify-keel user API listening on ${url} (OpenAPI docs: ${url}/docs)`)
