// A real pino destination for log assertions: Fastify writes its JSON lines here and tests read them back.
import { Writable } from 'node:stream'

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
