import { describeWithDatabase, redisUrl } from '../helpers/services.js'
import { postgresTarget } from './harness.js'
import { defineEndToEndSuite } from './suite.js'

describeWithDatabase('example (PostgreSQL + Redis)', (databaseUrl) => {
  defineEndToEndSuite(() => {
    if (redisUrl === undefined) throw new Error('KEEL_TEST_REDIS_URL must be set with KEEL_TEST_DATABASE_URL')
    return postgresTarget(databaseUrl, redisUrl)
  })
})
