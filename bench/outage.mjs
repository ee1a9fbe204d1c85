#!/usr/bin/env node
// Dependency outages under load (issue 12, item 5): two instances of the example app on one PostgreSQL (through
// a TCP fault proxy) and one private Redis (AOF on), driven by a closed loop of authenticated `GET /users/me`
// requests. Redis is killed for a few seconds, then PostgreSQL is cut for a few seconds. Printed per fault:
// responses with status 500 (target 0), requests slower than 5 s (0), whether and how fast readiness reported
// the fault, and how long after the dependency returned the last failure came (target < 2 s).
//
//   node bench/outage.mjs                     DATABASE_URL or KEEL_TEST_DATABASE_URL, else postgres@127.0.0.1/test
//   node bench/outage.mjs --outage 4 --connections 20 --json
import { parseArgs } from 'node:util'
import {
  adminToken,
  DATABASE_URL,
  drive,
  privateSchema,
  sleep,
  startFaultProxy,
  startInstance,
  startPrivateRedis,
  watchReadiness,
} from './example-fixture.mjs'

const { values } = parseArgs({
  options: {
    outage: { type: 'string', default: '4' },
    connections: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
})
const outageMs = Number(values.outage) * 1000
const connections = Number(values.connections)

/** The figures of one fault, from the requests sent between its start and `settleMs` after it ended. */
function figures(name, records, readiness, fault) {
  const during = records.filter((r) => r.start >= fault.start && r.start < fault.end + fault.settleMs)
  const failures = during.filter((r) => r.status !== 200)
  const lastFailure = failures.reduce((last, r) => Math.max(last, r.end), fault.end)
  const statuses = {}
  for (const r of during) {
    const key = r.status === 0 ? (r.error ?? 'error') : String(r.status)
    statuses[key] = (statuses[key] ?? 0) + 1
  }
  const firstFail = readiness.map((events) => events.find((e) => e.at >= fault.start && e.status !== 200)?.at)
  return {
    fault: name,
    settleMs: fault.settleMs,
    requests: during.length,
    statuses,
    status500: during.filter((r) => r.status === 500).length,
    otherErrors: during.filter((r) => r.status === 0 || (r.status >= 500 && r.status !== 503)).length,
    slowerThan5s: during.filter((r) => r.end - r.start > 5000).length,
    maxLatencyMs: Math.round(Math.max(0, ...during.map((r) => r.end - r.start))),
    readinessReported: firstFail.every((at) => at !== undefined && at < fault.end),
    readinessDetectMs: firstFail.map((at) => (at === undefined ? null : Math.round(at - fault.start))),
    recoveryMs: Math.round(lastFailure - fault.end),
  }
}

async function main() {
  const redis = await startPrivateRedis()
  const schema = await privateSchema()
  const pgUrl = new URL(DATABASE_URL)
  const proxy = await startFaultProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) })
  const proxied = new URL(schema.url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  const env = { DATABASE_URL: proxied.toString(), REDIS_URL: redis.url, REDIS_PREFIX: 'bench:' }
  const instances = []
  try {
    // One after the other: the first applies the migrations, the second finds them done.
    instances.push(await startInstance(env))
    instances.push(await startInstance(env))
    const token = await adminToken(instances[0].url)
    const readiness = instances.map((i) => watchReadiness(i.url))
    let next = 0
    const load = drive({
      connections,
      pick: () => instances[next++ % instances.length].url,
      path: '/users/me',
      headers: { authorization: `Bearer ${token}` },
    })
    const settleMs = 3000
    await sleep(2000)

    const redisFault = { start: performance.now(), settleMs }
    await redis.stop()
    await sleep(outageMs)
    await redis.start()
    redisFault.end = performance.now()
    await sleep(settleMs + 1000)

    const pgFault = { start: performance.now(), settleMs }
    proxy.cut()
    await sleep(outageMs)
    proxy.restore()
    pgFault.end = performance.now()
    await sleep(settleMs + 1000)

    await load.stop()
    await Promise.all(readiness.map((r) => r.stop()))
    const events = readiness.map((r) => r.events)
    const result = {
      method: `2 instances, ${connections} connections, GET /users/me, ${outageMs / 1000} s per outage`,
      total: load.records.length,
      faults: [
        figures('redis killed (SIGKILL), restarted with AOF', load.records, events, redisFault),
        figures('postgresql cut (fault proxy resets every connection)', load.records, events, pgFault),
      ],
      errorLogLines: instances.reduce((n, i) => n + i.errors.filter((line) => /"statusCode":500/.test(line)).length, 0),
    }
    if (values.json) console.log(JSON.stringify(result))
    else print(result)
  } finally {
    await Promise.all(instances.map((i) => i.kill()))
    await proxy.close()
    await redis.close()
    await schema.drop()
  }
}

function print(result) {
  console.log(`${result.method}; ${result.total} requests in all`)
  for (const f of result.faults) {
    console.log(`\n${f.fault}`)
    console.log(
      `  requests during the fault and ${f.settleMs / 1000} s after: ${f.requests}, by status: ${JSON.stringify(f.statuses)}`,
    )
    console.log(`  status 500: ${f.status500} (target 0); other errors (reset, 5xx but 503): ${f.otherErrors}`)
    console.log(`  slower than 5 s: ${f.slowerThan5s} (target 0); slowest ${f.maxLatencyMs} ms`)
    console.log(`  readiness reported the fault: ${f.readinessReported} (after ${f.readinessDetectMs.join(' / ')} ms)`)
    console.log(`  last failure after the dependency returned: ${f.recoveryMs} ms (target < 2000)`)
  }
}

await main()
