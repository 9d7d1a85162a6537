package redislimit

import "github.com/redis/go-redis/v9"

// Each Limit.Key is one Redis hash under the limiter's prefix:
//
//	tat      theoretical arrival time (µs, Redis clock) of the next request
//	         GCRA admits: a burst-1 token bucket reduced to one number
//	paused   µs until which no request may start (after a 429)
//	rate     adaptive keys only: the learned requests/s; absent = unlimited
//	changed  adaptive keys only: µs of the last change of rate
//	ws wc pc adaptive keys only: the current one-second window's start and
//	         count, and the previous window's count (the observed rate)
//	share    documented keys only: the part of the pace in use after a
//	         429 (absent = 1); changed is then its last change
//	slowed   documented keys only: µs of the last slow-down
//
// Times come from Redis's TIME, so processes on machines with skewed
// clocks still share one schedule. Every key of a request is read and
// written in one script: scripts run atomically, so a request takes all
// its limits or none.

// takeScript admits a request subject to KEYS, or says how long to wait.
//
// ARGV[1..n]: the request interval in µs of each key (1e6 / rate), 0 for
// an adaptive key. ARGV[n+1..n+5]: the adaptive floor (req/s), recovery
// period (µs), increase factor, the key TTL (ms), and the creep factor
// of a slowed documented key (pacing.ThrottleCreep).
//
// It returns 0 when the request may go now (every key is charged), or
// the µs until the latest key allows it (nothing is charged): a request
// that one key would admit and another refuse spends nothing.
var takeScript = redis.NewScript(`
local n = #KEYS
local floor = tonumber(ARGV[n + 1])
local recovery = tonumber(ARGV[n + 2])
local increase = tonumber(ARGV[n + 3])
local ttl = tonumber(ARGV[n + 4])
local creep = tonumber(ARGV[n + 5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local wait = 0
local state = {}
for i = 1, n do
  local h = redis.call('HMGET', KEYS[i], 'tat', 'paused', 'rate', 'changed', 'ws', 'wc', 'pc', 'share')
  local s = {tat = tonumber(h[1]) or 0, interval = tonumber(ARGV[i])}
  local paused = tonumber(h[2]) or 0
  local share = tonumber(h[8])
  if s.interval > 0 and share then
    -- A documented key slowed by a 429 creeps back to its pace.
    if share < 1 and now - (tonumber(h[4]) or 0) >= recovery then
      share = math.min(share * creep, 1)
      redis.call('HSET', KEYS[i], 'share', string.format('%.17g', share), 'changed', string.format('%d', now))
    end
    s.interval = s.interval / share
  end
  if s.interval == 0 then
    s.adaptive = true
    s.ws, s.wc, s.pc = tonumber(h[5]) or 0, tonumber(h[6]) or 0, tonumber(h[7]) or 0
    local rate = tonumber(h[3])
    if rate then
      -- Speed up again after a quiet period: the same rule for every
      -- process, because the rate lives here.
      local changed = tonumber(h[4]) or 0
      if now - changed >= recovery then
        rate = math.max(rate * increase, floor)
        redis.call('HSET', KEYS[i], 'rate', string.format('%.17g', rate), 'changed', string.format('%d', now))
      end
      s.interval = 1000000 / rate
    end
  end
  state[i] = s
  wait = math.max(wait, s.tat - now, paused - now)
end
if wait > 0 then
  return math.ceil(wait)
end

for i = 1, n do
  local s = state[i]
  local fields = {'tat', string.format('%.17g', math.max(s.tat, now) + s.interval)}
  if s.adaptive then
    local elapsed = now - s.ws
    if elapsed >= 1000000 then
      s.pc = s.wc
      if elapsed >= 2000000 then s.pc = 0 end
      s.ws, s.wc = now, 0
    end
    s.wc = s.wc + 1
    table.insert(fields, 'ws'); table.insert(fields, string.format('%d', s.ws))
    table.insert(fields, 'wc'); table.insert(fields, string.format('%d', s.wc))
    table.insert(fields, 'pc'); table.insert(fields, string.format('%d', s.pc))
  end
  redis.call('HSET', KEYS[i], unpack(fields))
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
`)

// throttleScript records a 429 for KEYS: every key pauses, adaptive keys
// halve the rate they were sent at, and documented keys slow to
// pacing.ThrottleBackoff of their share, not below pacing.ThrottleMinShare
// (each once per epoch, however many requests were refused together).
//
// ARGV[1..n]: 1 for an adaptive key, 0 for a documented one. ARGV[n+1..]:
// the pause (µs), the adaptive floor (req/s), the epoch (µs), the key
// TTL (ms), the backoff factor and the minimum share.
var throttleScript = redis.NewScript(`
local n = #KEYS
local pause = tonumber(ARGV[n + 1])
local floor = tonumber(ARGV[n + 2])
local epoch = tonumber(ARGV[n + 3])
local ttl = tonumber(ARGV[n + 4])
local backoff = tonumber(ARGV[n + 5])
local minShare = tonumber(ARGV[n + 6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

for i = 1, n do
  local h = redis.call('HMGET', KEYS[i], 'paused', 'rate', 'changed', 'ws', 'wc', 'pc', 'share', 'slowed')
  local paused = tonumber(h[1]) or 0
  if now + pause > paused then
    redis.call('HSET', KEYS[i], 'paused', string.format('%d', now + pause))
  end
  if ARGV[i] == '1' then
    local rate = tonumber(h[2])
    local changed = tonumber(h[3]) or 0
    if rate == nil or now - changed >= epoch then
      local ws, wc, pc = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
      local span = 1 + math.min((now - ws) / 1000000, 1)
      local current = (pc + wc) / span
      if rate and rate < current then current = rate end
      redis.call('HSET', KEYS[i], 'rate', string.format('%.17g', math.max(current / 2, floor)), 'changed', string.format('%d', now))
    end
  elseif now - (tonumber(h[8]) or 0) >= epoch then
    local share = math.max((tonumber(h[7]) or 1) * backoff, minShare)
    redis.call('HSET', KEYS[i], 'share', string.format('%.17g', share), 'changed', string.format('%d', now), 'slowed', string.format('%d', now))
  end
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
`)
