// Redis is shared by every test run on the machine: tests write under a random prefix and delete only that.
import type { Redis } from 'ioredis'

/** A key prefix no other run uses, e.g. `keel-test:health:3f9a…:`. */
export function testPrefix(feature: string): string {
  return `keel-test:${feature}:${crypto.randomUUID()}:`
}

/** Deletes the keys under `prefix` (this run's keys only; never FLUSHDB on the shared server). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    if (keys.length > 0) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
}
