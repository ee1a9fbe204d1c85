#!/usr/bin/env node
// A drain that loses nothing (issue 12, item 9): two instances of the example app behind a simulated load
// balancer, under a closed loop of `--connections` (default 50) authenticated `GET /users/me` requests. The load
// balancer polls each instance's readiness every 250 ms and sends only to instances whose last probe passed.
// One instance gets SIGTERM; keelHealth fails its readiness at once, serves for SHUTDOWN_DELAY, then drains and
// exits. Printed: requests lost (a failed connection, or a 5xx other than 503; target 0), 503s, the instance's
// exit code and how long it took.
//
//   node bench/shutdown.mjs                  SHUTDOWN_DELAY 2000 ms
//   node bench/shutdown.mjs --delay 0        what happens without a shutdown delay
import { parseArgs } from 'node:util'
import {
  adminToken,
  drive,
  privateSchema,
  sleep,
  startInstance,
  startPrivateRedis,
  watchReadiness,
} from './example-fixture.mjs'

const { values } = parseArgs({
  options: {
    delay: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '50' },
    probe: { type: 'string', default: '250' },
    json: { type: 'boolean', default: false },
  },
})
const connections = Number(values.connections)
const probeMs = Number(values.probe)

async function main() {
  const redis = await startPrivateRedis()
  const schema = await privateSchema()
  const env = { DATABASE_URL: schema.url, REDIS_URL: redis.url, SHUTDOWN_DELAY: values.delay }
  const instances = []
  try {
    instances.push(await startInstance(env))
    instances.push(await startInstance(env))
    const token = await adminToken(instances[0].url)
    const probes = instances.map((i) => watchReadiness(i.url, probeMs))
    await sleep(probeMs * 2)
    let next = 0
    // The load balancer: round robin over the instances whose last readiness probe passed.
    const pick = () => {
      const healthy = instances.filter((_, index) => probes[index].status === 200)
      return healthy.length === 0 ? undefined : healthy[next++ % healthy.length].url
    }
    const load = drive({ connections, pick, path: '/users/me', headers: { authorization: `Bearer ${token}` } })
    await sleep(2000)
    const [victim] = instances
    const signalled = performance.now()
    victim.child.kill('SIGTERM')
    const code = await victim.exited
    const exitMs = Math.round(performance.now() - signalled)
    await sleep(1000)
    await load.stop()
    await Promise.all(probes.map((p) => p.stop()))

    const toVictim = load.records.filter((r) => r.base === victim.url)
    const lost = load.records.filter((r) => r.status === 0 || (r.status >= 500 && r.status !== 503))
    const errors = {}
    for (const r of lost) errors[r.error ?? r.status] = (errors[r.error ?? r.status] ?? 0) + 1
    const result = {
      method: `2 instances behind a load balancer probing readiness every ${probeMs} ms, ${connections} connections, GET /users/me, SIGTERM to one, SHUTDOWN_DELAY ${values.delay} ms`,
      requests: load.records.length,
      toStoppedInstance: toVictim.length,
      afterSignal: toVictim.filter((r) => r.start >= signalled).length,
      lost: lost.length,
      lostBy: errors,
      status503: load.records.filter((r) => r.status === 503).length,
      exitCode: code,
      exitMs,
    }
    if (values.json) console.log(JSON.stringify(result))
    else {
      console.log(result.method)
      console.log(`  requests: ${result.requests}, to the stopped instance: ${result.toStoppedInstance}`)
      console.log(`  sent to it after SIGTERM (before the load balancer saw readiness fail): ${result.afterSignal}`)
      console.log(`  lost (reset, refused, 5xx but 503): ${result.lost} (target 0) ${JSON.stringify(result.lostBy)}`)
      console.log(`  503: ${result.status503}`)
      console.log(`  the instance exited with ${result.exitCode} after ${result.exitMs} ms`)
    }
  } finally {
    await Promise.all(instances.map((i) => i.kill()))
    await redis.close()
    await schema.drop()
  }
}

await main()
