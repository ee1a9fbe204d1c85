// Starts the example API and prints its URL; Ctrl-C stops it.
import Fastify from 'fastify'
import { httpErrors } from 'fastify-keel'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
app.get('/hello', async () => ({ hello: 'world' }))
app.get('/teapot', async () => {
  throw httpErrors.imATeapot()
})

const url = await app.listen({ port, host })
console.log(`fastify-keel example listening on ${url}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0))
  })
}
