// A real pino destination for log assertions: Fastify writes its JSON lines here and tests read them back.
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'

/** One parsed pino log line. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; reqId?: string }

/** A writable stream for `Fastify({ logger: { stream } })` that parses and keeps every line pino writes. */
export function captureLogs(): { stream: Writable; lines: LogLine[] } {
  const lines: LogLine[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine)
      callback()
    },
  })
  return { stream, lines }
}

/** A Fastify app logging at `info` to a captured stream. */
export function appWithLogs(options: FastifyServerOptions = {}): { app: FastifyInstance; lines: LogLine[] } {
  const { stream, lines } = captureLogs()
  const app = Fastify({ ...options, logger: { level: 'info', stream } })
  return { app, lines }
}

/** Log lines of one level (pino numbers: 30 info, 40 warn, 50 error). */
export function linesAt(lines: LogLine[], level: number): LogLine[] {
  return lines.filter((line) => line.level === level)
}
