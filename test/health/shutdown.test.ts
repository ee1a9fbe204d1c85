import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { type KeelHealthOptions, keelHealth } from 'fastify-keel/health'
import { afterEach, describe, expect, it, vi } from 'vitest'

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

const apps: FastifyInstance[] = []
const agents: http.Agent[] = []

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy()
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** An app with a 500 ms `/slow` route that reports when it has started, listening on a random port. */
async function serve(options: KeelHealthOptions, fastifyOptions: FastifyServerOptions = {}) {
  const app = Fastify(fastifyOptions)
  apps.push(app)
  await app.register(keelHealth, { underPressure: false, ...options })
  let started!: () => void
  const slowStarted = new Promise<void>((resolve) => {
    started = resolve
  })
  app.get('/slow', async () => {
    started()
    await new Promise((resolve) => setTimeout(resolve, 500))
    return { done: true }
  })
  app.get('/ping', async () => 'pong')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // A keep-alive agent, as load balancers and browsers use.
  const agent = new http.Agent({ keepAlive: true })
  agents.push(agent)
  const get = (path: string) =>
    new Promise<Answer>((resolve, reject) => {
      http
        .get({ agent, host: '127.0.0.1', port, path }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            body += chunk
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        })
        .on('error', reject)
    })
  return { app, get, slowStarted }
}

function onceClosed(app: FastifyInstance) {
  return new Promise<void>((resolve) => app.server.once('close', resolve))
}

describe('health', () => {
  describe('graceful shutdown', () => {
    it('should let a slow in-flight request finish with 200 while readiness probes get 503 during shutdownDelay', async () => {
      const { app, get, slowStarted } = await serve({ shutdownDelay: 300 })
      expect((await get('/health/ready')).status).toBe(200)

      const slow = get('/slow')
      await slowStarted
      const started = Date.now()
      const closing = app.close()

      const probes = await Promise.all([get('/health/ready'), get('/health/ready')])
      for (const probe of probes) expect(probe.status).toBe(503)
      expect(app.health.shuttingDown).toBe(true)

      const answer = await slow
      expect(answer.status).toBe(200)
      expect(JSON.parse(answer.body)).toEqual({ done: true })
      await closing
      // Closed once the slow request is done, not after the 72 s keep-alive timeout of its connection.
      expect(Date.now() - started).toBeLessThan(3000)
    })

    it('should answer readiness with a fail document and keep serving during shutdownDelay when return503OnClosing is off', async () => {
      const { app, get, slowStarted } = await serve(
        { shutdownDelay: 300, version: '3.1.0' },
        { return503OnClosing: false },
      )
      const slow = get('/slow')
      await slowStarted
      const closing = app.close()

      const [ready, live, ping] = await Promise.all([get('/health/ready'), get('/health/live'), get('/ping')])
      expect(ready.status).toBe(503)
      expect(ready.headers['content-type']).toBe('application/health+json; charset=utf-8')
      expect(JSON.parse(ready.body)).toEqual({ status: 'fail', version: '3.1.0', output: 'shutting down' })
      expect(live.status).toBe(200)
      expect(ping.status).toBe(200)
      expect(ping.headers.connection).toBe('close')

      expect((await slow).status).toBe(200)
      await closing
    })

    it('should wait shutdownDelay before the server stops accepting', async () => {
      const { app, get } = await serve({ shutdownDelay: 300 }, { return503OnClosing: false })
      const started = Date.now()
      const closed = onceClosed(app)
      const closing = app.close()
      // Still accepting connections during the delay.
      expect((await get('/ping')).status).toBe(200)
      await closed
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      await closing
    })

    it('should run the graceful shutdown on SIGTERM with handleSignals, serving normally during shutdownDelay', async () => {
      const before = process.listenerCount('SIGTERM')
      const { app, get, slowStarted } = await serve({ shutdownDelay: 300, handleSignals: true })
      expect(process.listenerCount('SIGTERM')).toBe(before + 1)
      const closed = onceClosed(app)

      const slow = get('/slow')
      await slowStarted
      process.emit('SIGTERM')
      expect(app.health.shuttingDown).toBe(true)

      const [ready, ping] = await Promise.all([get('/health/ready'), get('/ping')])
      expect(ready.status).toBe(503)
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'fail', output: 'shutting down' })
      // Not closing yet: other routes are served as usual while the load balancer catches up.
      expect(ping.status).toBe(200)

      expect((await slow).status).toBe(200)
      await closed
      expect(app.server.listening).toBe(false)
      expect(process.listenerCount('SIGTERM')).toBe(before)
    })

    it('should run the graceful shutdown on SIGINT with handleSignals', async () => {
      const before = process.listenerCount('SIGINT')
      const { app } = await serve({ handleSignals: true })
      const closed = onceClosed(app)
      process.emit('SIGINT')
      await closed
      expect(process.listenerCount('SIGINT')).toBe(before)
    })

    it('should not install signal handlers by default', async () => {
      const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]
      await serve({})
      expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before)
    })

    it('should remove its signal handlers when the app closes', async () => {
      const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]
      const { app } = await serve({ handleSignals: true })
      expect(process.listenerCount('SIGTERM')).toBe((before[0] ?? 0) + 1)
      await app.close()
      expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before)
    })

    it('should close a keep-alive connection once its in-flight request is done', async () => {
      const { app, get, slowStarted } = await serve({})
      const slow = get('/slow')
      await slowStarted
      const started = Date.now()
      const closing = app.close()
      expect((await slow).status).toBe(200)
      await closing
      expect(Date.now() - started).toBeLessThan(2000)
    }, 5000)

    it('should shut down through app.health.shutdown()', async () => {
      const app = Fastify()
      apps.push(app)
      await app.register(keelHealth, { underPressure: false, shutdownDelay: 50 })
      await app.ready()
      expect((await app.inject('/health/ready')).statusCode).toBe(200)
      await app.health.shutdown()
      expect(app.health.shuttingDown).toBe(true)
      await expect(app.inject('/health/ready')).rejects.toThrow()
    })

    it("should call each check's onClose when the app closes, and log a failing one", async () => {
      const warnings: string[] = []
      const app = Fastify()
      apps.push(app)
      await app.register(keelHealth, { underPressure: false })
      vi.spyOn(app.log, 'warn').mockImplementation((...args: unknown[]) => {
        warnings.push(String(args[1]))
      })
      const quit = vi.fn(async () => {})
      app.health.addCheck('cache', async () => {}, { onClose: quit })
      app.health.addCheck('broken', async () => {}, {
        onClose: () => {
          throw new Error('already closed')
        },
      })
      await app.ready()
      await app.close()
      expect(quit).toHaveBeenCalledTimes(1)
      expect(warnings).toContain('health check onClose failed')
    })
  })
})
