// Graceful shutdown: readiness fails first, the server keeps serving for `shutdownDelay`, then `app.close()` stops
// accepting and lets in-flight requests finish. Signal handlers only when asked for, removed on close.
import type { FastifyInstance } from 'fastify'
import type { Readiness } from './checks.js'
import type { ResolvedHealthOptions } from './options.js'

/** The shutdown state of one app, read by the probes and `app.health`. */
export interface Shutdown {
  /** `app.health.shutdown()`: fail readiness, wait `shutdownDelay`, then `app.close()`; one run however often called. */
  shutdown(): Promise<void>
  /** True from the start of a shutdown. */
  readonly shuttingDown: boolean
}

function delay(ms: number): Promise<void> {
  if (ms === 0) return Promise.resolve()
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

/**
 * `server.close()` closes idle keep-alive connections once; a connection whose request is still in flight becomes
 * idle later and would hold `close()` open until the client hangs up or `keepAliveTimeout` (72 s) passes. So while
 * the server drains, idle connections are closed every 50 ms.
 */
function reapIdleConnections(app: FastifyInstance): void {
  const server = app.server
  if (!server.listening || typeof server.closeIdleConnections !== 'function') return
  const timer = setInterval(() => server.closeIdleConnections(), 50).unref()
  server.once('close', () => clearInterval(timer))
}

/** SIGTERM/SIGINT run the graceful shutdown; a second signal gets Node's default (exit at once). */
function installSignalHandlers(app: FastifyInstance, control: Shutdown): void {
  let installed = false
  const remove = () => {
    if (!installed) return
    installed = false
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
  }
  function onSignal(signal: NodeJS.Signals): void {
    remove()
    app.log.info({ signal }, 'health: signal received, starting graceful shutdown')
    control.shutdown().catch((err: unknown) => {
      process.exitCode = 1
      app.log.error({ err }, 'health: graceful shutdown failed')
    })
  }
  app.addHook('onReady', async () => {
    if (installed || control.shuttingDown) return
    installed = true
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
  app.addHook('onClose', async () => remove())
}

/** Wires the shutdown of one app: `preClose` fails readiness and waits, signals when `handleSignals`. */
export function createShutdown(app: FastifyInstance, config: ResolvedHealthOptions, readiness: Readiness): Shutdown {
  let shuttingDown = false
  let drained: Promise<void> | undefined
  let run: Promise<void> | undefined
  function begin(): Promise<void> {
    if (!shuttingDown) {
      shuttingDown = true
      readiness.invalidate()
      app.log.info({ shutdownDelay: config.shutdownDelay }, 'health: shutting down, readiness now fails')
    }
    drained ??= delay(config.shutdownDelay)
    return drained
  }
  const control: Shutdown = {
    shutdown() {
      run ??= begin().then(() => app.close())
      return run
    },
    get shuttingDown() {
      return shuttingDown
    },
  }
  // Fastify marks itself closing before preClose, so with `return503OnClosing` (default) core answers every new
  // request 503 during this wait; `shutdown()` waits before calling close() and keeps serving instead.
  app.addHook('preClose', async () => {
    await begin()
    reapIdleConnections(app)
  })
  if (config.handleSignals) installSignalHandlers(app, control)
  return control
}
