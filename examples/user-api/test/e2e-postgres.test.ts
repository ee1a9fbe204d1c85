import { postgresTarget } from './harness.js'
import { describeWithDatabase, describeWithRedis } from './helpers/services.js'
import { defineEndToEndSuite } from './suite.js'

describeWithDatabase('example (PostgreSQL + Redis)', (databaseUrl) => {
  describeWithRedis('with Redis', (redisUrl) => {
    defineEndToEndSuite(() => postgresTarget(databaseUrl, redisUrl))
  })
})
