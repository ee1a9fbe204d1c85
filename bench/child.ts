// One benchmark server process, started by bench/run.mjs as `node bench/results/package/bench-child.js
// <scenario>` (this file bundled by esbuild, keel from the built package) with an IPC channel. Protocol (parent ⇄ child):
//   child → { type: 'ready', port, path, headers, expectStatus, expectContentType, offeredRate?, label? }  (HTTP)
//         | { type: 'ready', rotation: true }                                          (rotation scenarios)
//         | { type: 'skipped', reason } | { type: 'error', message }
//   parent → { type: 'start' }  child → { type: 'started' }   (CPU baseline taken)
//   parent → { type: 'stop' }   child → { type: 'stats', cpuMicros, rss }
//   parent → { type: 'rotate', seconds, warmup }  child → { type: 'rotation', ...RotationResult, cpuMicros, rss }
//   parent → { type: 'exit' }   child closes the server and exits 0 (so `--cpu-prof` profiles are written)
import type { RotationBench } from './rotation.js'
import { ablation, type BenchServer, SkipScenario, servers } from './servers.js'

type Message =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'exit' }
  | { type: 'rotate'; seconds: number; warmup: number }

function send(message: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(message, undefined, {}, () => resolve())
    else process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve())
  })
}

async function fail(error: unknown): Promise<never> {
  if (error instanceof SkipScenario) await send({ type: 'skipped', reason: error.message })
  else await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exit(error instanceof SkipScenario ? 0 : 1)
}

const name = process.argv[2] ?? ''
const builder = servers[name] ?? ablation[name]

let server: BenchServer | undefined
let rotation: RotationBench | undefined
let cpuAtStart = process.cpuUsage()

async function close(): Promise<void> {
  await server?.close()
  await rotation?.close()
}

async function onMessage(message: Message): Promise<void> {
  switch (message.type) {
    case 'start':
      cpuAtStart = process.cpuUsage()
      await send({ type: 'started' })
      return
    case 'stop': {
      const cpu = process.cpuUsage(cpuAtStart)
      await send({ type: 'stats', cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss })
      return
    }
    case 'rotate': {
      if (rotation === undefined) throw new Error('not a rotation scenario')
      if (message.warmup > 0) await rotation.run(message.warmup)
      const before = process.cpuUsage()
      const result = await rotation.run(message.seconds)
      const cpu = process.cpuUsage(before)
      await send({ type: 'rotation', ...result, cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss })
      return
    }
    case 'exit':
      await close()
      process.exit(0)
  }
}

async function main(): Promise<void> {
  if (builder !== undefined) {
    server = await builder()
    const port = await server.listen()
    await send({
      type: 'ready',
      port,
      path: server.path ?? '/',
      headers: server.headers ?? {},
      expectStatus: server.expectStatus ?? 200,
      expectContentType: server.expectContentType ?? 'application/json',
      offeredRate: server.offeredRate,
      label: server.label,
    })
  } else if (name.startsWith('rotate ')) {
    // Loaded only here, so HTTP servers never load ioredis.
    const { rotations } = await import('./rotation.js')
    const rotationBuilder = rotations[name]
    if (rotationBuilder === undefined) await fail(new Error(`unknown scenario "${name}"`))
    rotation = await rotationBuilder!()
    await send({ type: 'ready', rotation: true })
  } else {
    await fail(new Error(`unknown scenario "${name}"`))
  }
}

process.on('message', (message: Message) => {
  onMessage(message).catch(fail)
})
// The parent died or closed the channel: do not linger.
process.on('disconnect', () => process.exit(0))

main().catch(fail)
