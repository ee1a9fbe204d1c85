// A TCP proxy in front of a real server (PostgreSQL here) that a test can cut and restore: a database outage
// without touching the shared server. While cut, open connections are reset and new ones are reset on accept.
import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

/** A running fault proxy. */
export interface FaultProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number
  /** Resets every open connection and every new one until {@link restore}. */
  cut(): void
  /** Forwards new connections again. */
  restore(): void
  close(): Promise<void>
}

/** Starts a proxy on a free port forwarding to `host:port`. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>()
  let cut = false
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  }
  const server = createServer((client) => {
    track(client)
    if (cut) {
      client.resetAndDestroy()
      return
    }
    const upstream = createConnection(target)
    track(upstream)
    client.pipe(upstream).pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('fault proxy: no port')
  return {
    port: address.port,
    cut() {
      cut = true
      for (const socket of sockets) socket.resetAndDestroy()
    },
    restore() {
      cut = false
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: FaultProxy): string {
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  return proxied.toString()
}
