// The Lua scripts of RedisTokenStore: each store call that reads and writes is one script, so Redis runs it
// atomically and concurrent calls on any number of instances see each other's writes whole.
//
// Keys (prefix p):
//   p t:<hash>  a refresh token: f sid, e expiry, u used ('0'|'1'); after a rotation with a grace window also
//               g grace end, n sealed successor, x its expiry. TTL: until it expires.
//   p f:<sid>   the session's state: 'a:<created>:<sub>' active | 'r' revoked. TTL: as long as its newest token
//               (so an active key means "live", never past the session's absolute end); a revoked mark lives as
//               long as any token of the family could still be presented. Creation time and subject let the
//               per-request MGET check them against the subject's not-before time and the token's `sub`.
//   p m:<sid>   the session: s sub, c claims JSON, i created, x absolute end, l last used, d metadata JSON. TTL
//               as f:<sid>.
//   p u:<sub>   the subject's sessions: sorted set of sids scored by their newest token's expiry.
//   p s:<sub>   the subject's not-before time (ms).
// Times are ms since the epoch, from the caller (ARGV), fractional ms allowed.
import { createHash } from 'node:crypto'

/** A script and its SHA-1, for `EVALSHA` with an `EVAL` fallback. */
export interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/** Shared helpers: TTLs from absolute times, and marking a session revoked without shortening its mark. */
const helpers = `
local function ttl(at, now)
  local ms = math.ceil(tonumber(at) - tonumber(now))
  if ms < 1 then return 1 end
  return ms
end
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
-- Keeps the mark at least as long as the token key \`tkey\` (when given) could still be presented.
local function revoke(p, sid, sub, tkey)
  local fkey = p .. 'f:' .. sid
  local pttl = redis.call('PTTL', fkey)
  if tkey then
    local tttl = redis.call('PTTL', tkey)
    if tttl > pttl then pttl = tttl end
  end
  if pttl < 1 then pttl = 1 end
  redis.call('SET', fkey, 'r', 'PX', pttl)
  if sub then redis.call('ZREM', p .. 'u:' .. sub, sid) end
end
local function active(state)
  return state ~= false and state ~= nil and string.sub(state, 1, 2) == 'a:'
end
local function live(p, sid, m, now)
  if not active(redis.call('GET', p .. 'f:' .. sid)) then return false end
  if tonumber(m[4]) <= tonumber(now) then return false end
  local nb = redis.call('GET', p .. 's:' .. m[1])
  return not (nb and tonumber(m[3]) < tonumber(nb))
end`

// KEYS: token. ARGV: p, sid, sub, claims, created, token expiry, session end, metadata, now.
const save = `${helpers}
local p, sid, sub, now = ARGV[1], ARGV[2], ARGV[3], ARGV[9]
local ms = ttl(ARGV[6], now)
redis.call('HSET', KEYS[1], 'f', sid, 'e', ARGV[6], 'u', '0')
redis.call('PEXPIRE', KEYS[1], ms)
local fkey, mkey, ukey = p .. 'f:' .. sid, p .. 'm:' .. sid, p .. 'u:' .. sub
-- A token expired already starts no live session.
if redis.call('GET', fkey) == 'r' then
  keep(fkey, ms)
elseif tonumber(ARGV[6]) > tonumber(now) then
  redis.call('SET', fkey, 'a:' .. ARGV[5] .. ':' .. sub, 'PX', ms)
end
redis.call('HSET', mkey, 's', sub, 'c', ARGV[4], 'i', ARGV[5], 'x', ARGV[7], 'l', ARGV[5], 'd', ARGV[8])
keep(mkey, ms)
redis.call('ZREMRANGEBYSCORE', ukey, '-inf', now)
redis.call('ZADD', ukey, ARGV[6], sid)
keep(ukey, ms)
return 1`

// KEYS: token, next token. ARGV: p, now, next expiry, sealed successor ('' for none), grace end.
// The order of the checks is the contract's: unknown → used (graced | reused) → revoked → expired → rotate.
const rotate = `${helpers}
local p, now = ARGV[1], ARGV[2]
local t = redis.call('HMGET', KEYS[1], 'f', 'e', 'u', 'g', 'n', 'x')
local sid = t[1]
if not sid then return {'unknown'} end
local m = redis.call('HMGET', p .. 'm:' .. sid, 's', 'c', 'i', 'x', 'd')
if not m[1] then return {'revoked'} end
local record = {sid, m[1], m[2], m[3], t[2], m[4], m[5]}
if t[3] == '1' then
  if t[5] and tonumber(now) < tonumber(t[4]) and live(p, sid, m, now) then
    return {'graced', record[1], record[2], record[3], record[4], record[5], record[6], record[7], t[5], t[6]}
  end
  local first = active(redis.call('GET', p .. 'f:' .. sid))
  revoke(p, sid, m[1], KEYS[1])
  return {'reused', sid, m[1], first and '1' or '0'}
end
if not active(redis.call('GET', p .. 'f:' .. sid)) then return {'revoked'} end
local nb = redis.call('GET', p .. 's:' .. m[1])
if nb and tonumber(m[3]) < tonumber(nb) then return {'revoked'} end
if tonumber(t[2]) <= tonumber(now) or tonumber(m[4]) <= tonumber(now) then return {'expired'} end
local nextAt = ARGV[3]
if tonumber(m[4]) < tonumber(nextAt) then nextAt = m[4] end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'u', '1', 'g', ARGV[5], 'n', ARGV[4], 'x', nextAt)
else
  redis.call('HSET', KEYS[1], 'u', '1')
end
local ms = ttl(nextAt, now)
redis.call('HSET', KEYS[2], 'f', sid, 'e', nextAt, 'u', '0')
redis.call('PEXPIRE', KEYS[2], ms)
redis.call('HSET', p .. 'm:' .. sid, 'l', now)
keep(p .. 'f:' .. sid, ms)
keep(p .. 'm:' .. sid, ms)
local ukey = p .. 'u:' .. m[1]
redis.call('ZADD', ukey, nextAt, sid)
keep(ukey, ms)
return {'rotated', record[1], record[2], record[3], record[4], record[5], record[6], record[7]}`

// KEYS: token. ARGV: p, sub ('' for any). Answers the sid revoked, or 0.
const revokeFamily = `${helpers}
local p = ARGV[1]
local sid = redis.call('HGET', KEYS[1], 'f')
if not sid then return 0 end
local sub = redis.call('HGET', p .. 'm:' .. sid, 's')
if ARGV[2] ~= '' and sub ~= ARGV[2] then return 0 end
revoke(p, sid, sub, KEYS[1])
return sid`

// ARGV: p, sub, sid, now. Answers 1 when it ended a live session of sub.
const revokeSession = `${helpers}
local p, sub, sid, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local m = redis.call('HMGET', p .. 'm:' .. sid, 's', 'c', 'i', 'x')
if m[1] ~= sub or not live(p, sid, m, now) then return 0 end
revoke(p, sid, sub, nil)
return 1`

// ARGV: p, sub, now, limit. Answers [sid, created, last used, end, metadata]* of the live sessions, dropping dead
// ones from the index as it goes; looks at no more than 10 × limit entries.
const listSessions = `${helpers}
local p, sub, now, limit = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ukey = p .. 'u:' .. sub
redis.call('ZREMRANGEBYSCORE', ukey, '-inf', now)
local out, found = {}, 0
for _, sid in ipairs(redis.call('ZREVRANGE', ukey, 0, limit * 10 - 1)) do
  local m = redis.call('HMGET', p .. 'm:' .. sid, 's', 'c', 'i', 'x', 'l', 'd')
  if m[1] == sub and live(p, sid, m, now) then
    if found < limit then
      found = found + 1
      table.insert(out, sid) table.insert(out, m[3]) table.insert(out, m[5]) table.insert(out, m[4]) table.insert(out, m[6])
    end
  else
    redis.call('ZREM', ukey, sid)
  end
end
return out`

// KEYS: the subject's not-before key. ARGV: not-before, TTL.
const revokeSubject = `
local current = redis.call('GET', KEYS[1])
local ttl = tonumber(ARGV[2])
local pttl = redis.call('PTTL', KEYS[1])
if pttl > ttl then ttl = pttl end
if current and tonumber(current) > tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
end
return 1`

/** Every script of the store. */
export const scripts = {
  save: script(save),
  rotate: script(rotate),
  revokeFamily: script(revokeFamily),
  revokeSession: script(revokeSession),
  listSessions: script(listSessions),
  revokeSubject: script(revokeSubject),
  /** `MGET` for clients without it: the not-before key and the session key. */
  mget: script(`return redis.call('MGET', unpack(KEYS))`),
  ping: script('return 1'),
}
