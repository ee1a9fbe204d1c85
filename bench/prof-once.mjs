// scratch: profile one scenario from the existing build
import { cannon, ORIGIN, sanityCheck, startChild } from './run.mjs'
const [name, n = '20000', node] = process.argv.slice(2)
const handle = startChild(name, { cpuProf: true, tag: `scratch-${name.replace(/[^a-z0-9]+/gi, '-')}`, node: node ?? process.execPath, pin: false })
const ready = await handle.next()
const url = `http://127.0.0.1:${ready.port}${ready.path}`
await sanityCheck(url, ready)
const request = { url, connections: 8, headers: { origin: ORIGIN, ...ready.headers } }
await cannon({ ...request, amount: Number(n) })
await handle.exit()
