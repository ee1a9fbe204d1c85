// Policy counters in Redis, shared by every instance: all the policies of a request in one Lua script, so one
// round trip whatever their number, atomic (all counted or none), on Redis's clock (instances' clocks may differ).
// The counting rules are policy-store-memory.ts's; each policy and key is one hash:
//   fixed:   u = units used, r = window end (ms), b = blocked until (ms)
//   sliding: <bucket index> = units of that bucket, b = blocked until (ms)

import { luaScript, type RedisRunner } from './redis-runner.js'
import { ALLOWED, type Batch, BLOCKED, EXCEEDED, SLIDING_BUCKETS } from './verdict.js'

// ARGV[1]: buckets per sliding window; then per policy (KEYS[p]): algorithm (0 fixed, 1 sliding), max,
// window ms, cost, block ms. Returns status, remaining, reset ms for each policy.
const consumeScript = luaScript(`redis.replicate_commands()
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local buckets = tonumber(ARGV[1])
local out, seen, fits = {}, {}, true
for p = 1, #KEYS do
  local a = 1 + (p - 1) * 5
  local algorithm, max, window = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local cost = tonumber(ARGV[a + 4])
  local key = KEYS[p]
  local status, remaining, reset = 0, 0, 0
  local s = { used = 0 }
  seen[p] = s
  if algorithm == 0 then
    local f = redis.call('HMGET', key, 'b', 'u', 'r')
    local blocked = tonumber(f[1]) or 0
    if blocked > now then
      status, reset = 2, blocked - now
    else
      s.used, s.reset = tonumber(f[2]) or 0, tonumber(f[3]) or 0
      if s.reset <= now then s.used, s.reset = 0, now + window end
      if s.used + cost <= max then
        remaining, reset = max - s.used - cost, s.reset - now
      else
        status, remaining, reset = 1, math.max(0, max - s.used), s.reset - now
      end
      if cost > max then reset = window end
    end
  else
    local size = window / buckets
    local bucket = math.floor(now / size)
    local counts, stale, blocked = {}, {}, 0
    local f = redis.call('HGETALL', key)
    for i = 1, #f, 2 do
      if f[i] == 'b' then
        blocked = tonumber(f[i + 1])
      else
        local j = tonumber(f[i])
        if j >= bucket - buckets then
          counts[j] = tonumber(f[i + 1])
          s.used = s.used + counts[j]
        else
          stale[#stale + 1] = f[i]
        end
      end
    end
    s.bucket, s.size, s.stale = bucket, size, stale
    if blocked > now then
      status, reset = 2, blocked - now
    else
      local ok = s.used + cost <= max
      local needed, added = 1, cost
      if ok then
        remaining = max - s.used - cost
      else
        status, remaining, needed, added = 1, math.max(0, max - s.used), s.used + cost - max, 0
      end
      local left = 0
      for j = bucket - buckets, bucket do
        left = left + (counts[j] or 0)
        if j == bucket then left = left + added end
        if left >= needed then
          reset = math.ceil((j + buckets + 1) * size - now)
          break
        end
      end
      if cost > max then reset = window end
    end
  end
  if status ~= 0 then fits = false end
  out[p * 3 - 2], out[p * 3 - 1], out[p * 3] = status, remaining, reset
end
for p = 1, #KEYS do
  local a = 1 + (p - 1) * 5
  local algorithm, window, cost, block = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local key, s, o = KEYS[p], seen[p], (p - 1) * 3
  if fits then
    if algorithm == 0 then
      redis.call('HSET', key, 'u', s.used + cost, 'r', s.reset)
      redis.call('PEXPIRE', key, s.reset - now)
    else
      if cost > 0 then redis.call('HINCRBY', key, s.bucket, cost) end
      if #s.stale > 0 then redis.call('HDEL', key, unpack(s.stale)) end
      redis.call('PEXPIRE', key, math.ceil((s.bucket + buckets + 1) * s.size - now))
    end
  elseif out[o + 1] == 1 and block > 0 then
    redis.call('HSET', key, 'b', now + block)
    if redis.call('PTTL', key) < block then redis.call('PEXPIRE', key, block) end
    out[o + 1], out[o + 2], out[o + 3] = 2, 0, block
  end
end
return out`)

/** Policy counters in Redis. */
export class RedisPolicyStore {
  constructor(private readonly runner: RedisRunner) {}

  /** Checks and counts the batch in one script; fills `batch.verdicts`. Rejects when Redis fails. */
  async consume(batch: Batch): Promise<void> {
    const keys: string[] = []
    const args: (string | number)[] = [SLIDING_BUCKETS]
    for (let p = 0; p < batch.count; p++) {
      const policy = batch.policies[p]!
      keys.push(batch.keys[p]!)
      args.push(policy.algorithm, policy.max, policy.windowMs, batch.costs[p]!, policy.blockMs)
    }
    const reply = await this.runner.run(consumeScript, keys, args)
    if (!Array.isArray(reply) || reply.length !== batch.count * 3) throw this.runner.unreadable(reply)
    for (let p = 0; p < batch.count; p++) {
      const status = reply[p * 3]
      const verdict = batch.verdicts[p]!
      verdict.status = status === ALLOWED || status === EXCEEDED || status === BLOCKED ? status : BLOCKED
      verdict.remaining = Number(reply[p * 3 + 1])
      verdict.resetMs = Number(reply[p * 3 + 2])
    }
  }
}
