/**
 * One script per decision: read, decide and write happen atomically in Redis, in one round trip, with the time
 * taken from Redis (`TIME`) so replicas with skewed clocks agree. Keys carry a PEXPIRE, so idle state goes away
 * on its own. ioredis runs these with EVALSHA and reloads them on NOSCRIPT.
 */

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: bucket. ARGV: capacity, refill per ms, cost, ttl ms. Returns allowed, tokens (string), retry ms, reset ms. */
export const TOKEN_BUCKET = `${NOW_MS}
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
elseif now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * per_ms)
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
elseif cost > capacity then
  retry = -1
else
  retry = math.ceil((cost - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts or now)))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return { allowed, tostring(tokens), retry, math.ceil((capacity - tokens) / per_ms) }`;

/**
 * KEYS: counter, block marker. ARGV: limit, window ms, cost, block ms (0: until the window ends).
 * Returns allowed, hits, window ms left, retry ms.
 */
export const FIXED_WINDOW = `local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local block = tonumber(ARGV[4])
local blocked_for = redis.call('PTTL', KEYS[2])
if blocked_for > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { 0, hits, math.max(redis.call('PTTL', KEYS[1]), 0), blocked_for }
end
local hits = redis.call('INCRBY', KEYS[1], ARGV[3])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  left = window
end
if hits > limit then
  if block <= 0 then block = left end
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return { 0, hits, left, block }
end
return { 1, hits, left, 0 }`;

/**
 * KEYS: the quota's base key, hash-tagged so every day's key lands in its slot. ARGV: limit, units, zone offset ms.
 * The day comes from Redis' clock shifted by the zone's offset. Returns allowed, used, ms to midnight, day.
 */
export const DAILY_QUOTA_RESERVE = `${NOW_MS}
local limit = tonumber(ARGV[1])
local units = tonumber(ARGV[2])
local local_ms = now + tonumber(ARGV[3])
local day = math.floor(local_ms / 86400000)
local to_midnight = (day + 1) * 86400000 - local_ms
local key = KEYS[1] .. ':' .. day
local used = tonumber(redis.call('GET', key) or '0')
if used + units > limit then
  return { 0, used, to_midnight, day }
end
used = redis.call('INCRBY', key, units)
redis.call('PEXPIRE', key, to_midnight + 3600000)
return { 1, used, to_midnight, day }`;

/** KEYS: the quota's base key. ARGV: day, units. Never goes below zero; keeps the key's expiry. */
export const DAILY_QUOTA_REFUND = `local key = KEYS[1] .. ':' .. ARGV[1]
local used = tonumber(redis.call('GET', key) or '0')
if used == 0 then return 0 end
local left = math.max(0, used - tonumber(ARGV[2]))
redis.call('SET', key, left, 'KEEPTTL')
return left`;
