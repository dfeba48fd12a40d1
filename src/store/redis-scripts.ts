/**
 * The Lua behind the Redis session store. Each operation is one script, so each is one round
 * trip and atomic: two replicas creating sessions for one principal at once cannot both see
 * room under its cap.
 *
 * Key layout, under a prefix `P` that carries a hash tag (default `tb:{sessions}:`) so that every
 * key lives in one cluster slot; scripts declare the record key and derive the rest from `P`:
 *   P r:<id>          hash  o=owner, k=kind, d=JSON of the other fields; PEXPIRE idle
 *   P o:<sha1(owner)> zset  the owner's session ids scored by last use (ms); PEXPIRE idle+grace
 *   P k:<kind>        zset  every session id of that kind, scored by last use
 *   P g:<id>          string tombstone of an ended id; PX tombstone time
 * and the channel `P gone` carries `{"id","reason"}` for every session that ends.
 * Times come from the Redis server's clock (TIME), so replicas' clocks need not agree.
 */

// Every script takes these first: ARGV prefix, idleMs, graceMs, tombstoneMs ('common' below).
const PRELUDE = `
local P, idle, grace, tomb = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function owner_key(owner) return P .. 'o:' .. redis.sha1hex(owner) end
-- Ends a session: every trace goes, a tombstone stays, and every replica hears of it.
local function ended(id, reason)
  local rec = P .. 'r:' .. id
  local owner = redis.call('HGET', rec, 'o')
  redis.call('DEL', rec)
  redis.call('ZREM', P .. 'k:streamable', id)
  redis.call('ZREM', P .. 'k:sse', id)
  if owner then redis.call('ZREM', owner_key(owner), id) end
  redis.call('SET', P .. 'g:' .. id, '1', 'PX', tomb)
  redis.call('PUBLISH', P .. 'gone', cjson.encode({id = id, reason = reason}))
end
-- Ends sessions idle for longer than idle + grace (their record keys are gone already).
-- The grace keeps a record that Redis has not expired yet from losing its index entries.
local function prune(now, limit)
  local n = 0
  for _, kind in ipairs({'streamable', 'sse'}) do
    local stale = redis.call('ZRANGEBYSCORE', P .. 'k:' .. kind, '-inf', '(' .. (now - idle - grace), 'LIMIT', 0, limit)
    for _, id in ipairs(stale) do ended(id, 'expired'); n = n + 1 end
  end
  return n
end
`;

/** KEYS: record. ARGV: common, id, owner, kind, details JSON, max, maxPerOwner. → {'ok', now} | {'taken'} */
export const CREATE = `${PRELUDE}
local id, owner, kind, details = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local max, per_owner = tonumber(ARGV[9]), tonumber(ARGV[10])
if redis.call('EXISTS', KEYS[1], P .. 'g:' .. id) > 0
  or redis.call('ZSCORE', P .. 'k:streamable', id) or redis.call('ZSCORE', P .. 'k:sse', id) then
  return {'taken'}
end
local now = now_ms()
prune(now, 64)
local own = owner_key(owner)
redis.call('ZREMRANGEBYSCORE', own, '-inf', '(' .. (now - idle - grace))
while redis.call('ZCARD', own) >= per_owner do
  local victim = redis.call('ZRANGE', own, 0, 0)[1]
  ended(victim, 'evicted')
  redis.call('ZREM', own, victim)
end
while redis.call('ZCARD', P .. 'k:streamable') + redis.call('ZCARD', P .. 'k:sse') >= max do
  local a = redis.call('ZRANGE', P .. 'k:streamable', 0, 0, 'WITHSCORES')
  local b = redis.call('ZRANGE', P .. 'k:sse', 0, 0, 'WITHSCORES')
  if a[1] and (not b[1] or tonumber(a[2]) <= tonumber(b[2])) then ended(a[1], 'evicted')
  else ended(b[1], 'evicted') end
end
redis.call('HSET', KEYS[1], 'o', owner, 'k', kind, 'd', details)
redis.call('PEXPIRE', KEYS[1], idle)
redis.call('ZADD', own, now, id)
redis.call('PEXPIRE', own, idle + grace)
redis.call('ZADD', P .. 'k:' .. kind, now, id)
return {'ok', now}
`;

/** KEYS: record. ARGV: common, id, owner, slide ('1' for touch). → {kind, details, lastUsed} | nil */
export const READ = `${PRELUDE}
local id, owner = ARGV[5], ARGV[6]
local f = redis.call('HMGET', KEYS[1], 'o', 'k', 'd')
if f[1] ~= owner then return false end
local zset = P .. 'k:' .. f[2]
if ARGV[7] ~= '1' then return {f[2], f[3], redis.call('ZSCORE', zset, id)} end
local now = now_ms()
redis.call('PEXPIRE', KEYS[1], idle)
local own = owner_key(owner)
redis.call('ZADD', own, 'XX', now, id)
redis.call('PEXPIRE', own, idle + grace)
redis.call('ZADD', zset, 'XX', now, id)
return {f[2], f[3], tostring(now)}
`;

/** KEYS: record. ARGV: common, id. → 1 when a session ended, else 0 */
export const DELETE = `${PRELUDE}
local id = ARGV[5]
if redis.call('EXISTS', KEYS[1]) == 0 and not redis.call('ZSCORE', P .. 'k:streamable', id)
  and not redis.call('ZSCORE', P .. 'k:sse', id) then
  return 0
end
ended(id, 'deleted')
return 1
`;

/** KEYS: none. ARGV: common, limit. → sessions found expired */
export const SWEEP = `${PRELUDE}
return prune(now_ms(), tonumber(ARGV[5]))
`;

/** KEYS: none. ARGV: common. → {streamable, sse} live sessions */
export const COUNT = `${PRELUDE}
local from = '(' .. (now_ms() - idle)
return {redis.call('ZCOUNT', P .. 'k:streamable', from, '+inf'), redis.call('ZCOUNT', P .. 'k:sse', from, '+inf')}
`;
