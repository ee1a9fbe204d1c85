#!/usr/bin/env node
// `.ci/run` stage: the unit suite on another Node line: `node scripts/ci/node-suite.mjs 24`.
import { UNIT_SUITE, vitestOn } from './node.mjs'

const major = process.argv[2]
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/ci/node-suite.mjs <node major>')
  process.exit(2)
}
vitestOn(major, UNIT_SUITE, { title: `unit suite on Node ${major}` })
