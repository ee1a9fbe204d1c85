#!/usr/bin/env node
// `.ci/run` stage: the unit suite on another Node line: `node scripts/ci/node-suite.mjs 24`.
import { UNIT_SUITE, vitestOn } from './node.mjs'

const major = process.argv[2]
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/ci/node-suite.mjs <node major>')
  process.exit(2)
}
// The type programs of test/auth/types.test.ts run tsc, whose answer does not depend on the Node line (npm test
// runs them with Fastify 5, fastify-next.mjs with Fastify 6).
vitestOn(major, [...UNIT_SUITE, '--exclude', 'test/auth/types.test.ts'], { title: `unit suite on Node ${major}` })
