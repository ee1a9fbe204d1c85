// Starts the user API: reads the configuration from the environment, listens and prints the URL. SIGTERM or
// Ctrl-C (SIGINT) shuts down gracefully through fastify-keel/health (`handleSignals`): readiness answers 503 at
// once, requests are still served for SHUTDOWN_DELAY ms so the load balancer stops sending, then the server
// stops accepting connections, in-flight requests finish and the database and Redis connections close. A second
// signal exits at once.
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
const app = await buildApp(config, { handleSignals: true })
const url = await app.listen({ port: config.port, host: config.host })
console.log(`fastify-keel user API listening on ${url} (OpenAPI docs: ${url}/docs)`)
