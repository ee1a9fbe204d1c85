import { describe } from 'vitest'
import { pgliteTarget } from './harness.js'
import { defineEndToEndSuite } from './suite.js'

describe('example (embedded PGlite)', () => {
  defineEndToEndSuite(pgliteTarget)
})
