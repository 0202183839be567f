// Lua scripts of the Redis store. Each runs atomically on one slot (all KEYS share a hash tag).
import { SESSION_FIELDS } from './session-fields.js';

/** Lua helpers shared by the session scripts (prepended to each). */
const SESSION_LUA = `
local FIELDS = {${SESSION_FIELDS.map((f) => `'${f}'`).join(', ')}}
-- The record's fields as a flat field/value list (not the refresh bookkeeping).
local function record(s)
  local vals = redis.call('HMGET', s, unpack(FIELDS))
  local out = {}
  for i, f in ipairs(FIELDS) do
    if vals[i] then
      out[#out + 1] = f
      out[#out + 1] = vals[i]
    end
  end
  return out
end
-- Shorten a key's life to ms (never lengthen it).
local function shorten(key, ms)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 or ttl > ms then redis.call('PEXPIRE', key, ms) end
end
-- Revoke the session s (history h, blobs g): nothing of it can be served any more, so it only
-- lingers for keepMs. Returns the revoked record and the refresh hashes whose lookups the caller
-- shortens likewise.
local function revoke(s, g, h, now, reason, keepMs)
  redis.call('HSET', s, 'revokedAt', now, 'revokedReason', reason)
  redis.call('DEL', g)
  local rec = record(s)
  local hashes = redis.call('ZRANGE', h, 0, -1)
  local cur = redis.call('HGET', s, 'cur')
  if cur then hashes[#hashes + 1] = cur end
  shorten(s, keepMs)
  shorten(h, keepMs)
  return rec, hashes
end
`;

/**
 * Refresh rotation. KEYS: session, grace blobs, history.
 * ARGV: presentedHash, newHash, now, graceMs, idleExpiresAt, graceBlob, retryMs,
 * graceRetentionMs, historyLimit, revokedRetentionMs.
 * Returns {kind, recordFlat[, graceBlob | forgotten hashes | the revoked family's hashes]}:
 * `rotated` lists the hashes the history forgot (their lookups are deleted by the caller),
 * `reused` every hash of the revoked family (their lookups are shortened by the caller).
 */
export const ROTATE_REFRESH = `${SESSION_LUA}
local s, g, h = KEYS[1], KEYS[2], KEYS[3]
local presented, now = ARGV[1], tonumber(ARGV[3])
local graceMs, retryMs = tonumber(ARGV[4]), tonumber(ARGV[7])
if redis.call('EXISTS', s) == 0 then return {'invalid'} end
if redis.call('HEXISTS', s, 'revokedAt') == 1 then return {'invalid'} end
local exp = tonumber(redis.call('HGET', s, 'expiresAt'))
local idle = tonumber(redis.call('HGET', s, 'idleExpiresAt'))
if now >= exp or now >= idle then return {'invalid'} end
if redis.call('HGET', s, 'cur') == presented then
  -- Every older blob's successor is used from now on: only its grace window is left.
  for _, x in ipairs(redis.call('HKEYS', g)) do
    local at = redis.call('HGET', s, 't:' .. x)
    if not at or now - tonumber(at) >= graceMs then redis.call('HDEL', g, x) end
  end
  local seq = redis.call('HINCRBY', s, 'seq', 1)
  redis.call('HSET', s, 'cur', ARGV[2], 'prev', presented, 't:' .. presented, ARGV[3],
    'idleExpiresAt', ARGV[5], 'lastSeenAt', ARGV[3])
  redis.call('ZADD', h, seq, presented)
  local forgotten = {}
  local over = redis.call('ZCARD', h) - tonumber(ARGV[9])
  if over > 0 then
    forgotten = redis.call('ZRANGE', h, 0, over - 1)
    redis.call('ZREMRANGEBYRANK', h, 0, over - 1)
    for _, x in ipairs(forgotten) do
      redis.call('HDEL', s, 't:' .. x)
      redis.call('HDEL', g, x)
    end
  end
  redis.call('HSET', g, presented, ARGV[6])
  redis.call('PEXPIRE', g, math.max(graceMs, retryMs) + tonumber(ARGV[8]))
  -- The session (and its history) lives until its idle expiry, moved by each rotation.
  local life = math.max(1, math.min(exp, tonumber(ARGV[5])) - now)
  redis.call('PEXPIRE', s, life)
  redis.call('PEXPIRE', h, life)
  return {'rotated', record(s), forgotten}
end
local rotatedAt = redis.call('HGET', s, 't:' .. presented)
if not rotatedAt then return {'invalid'} end
local age = now - tonumber(rotatedAt)
local blob = redis.call('HGET', g, presented)
-- A concurrent duplicate (graceMs), or a retry of a rotation whose answer was lost while its
-- successor is still unused (retryMs): the same token set.
if blob and (age < graceMs or (age < retryMs and redis.call('HGET', s, 'prev') == presented)) then
  return {'grace', record(s), blob}
end
local rec, family = revoke(s, g, h, ARGV[3], 'refresh_reused', tonumber(ARGV[10]))
return {'reused', rec, family}
`;

/**
 * Create a session. KEYS: session. ARGV: ttlMs, then field/value pairs. Returns 0 (nothing
 * written) when the session was revoked before it was written: the session cap evicted it between
 * its admission and this call (see REVOKE_SESSION's tombstone).
 */
export const CREATE_SESSION = `
if redis.call('HEXISTS', KEYS[1], 'revokedAt') == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * Admit a session to its address: the session cap, then the address index. KEYS: index (sid ->
 * createdAt), live ledger (sid -> end of life: min(absolute, idle) end, kept current by touch and
 * rotation, removed on revocation). ARGV: now, max (0: no cap), onLimit ('evict-oldest' |
 * 'refuse'), sid, createdAt, liveUntil, ttlMs.
 * Runs on the address's slot only, so the count, the choice of the oldest and the admission are
 * one atomic step for concurrent sign-ins of one address. Returns {0} when refused (nothing
 * written), else {1, evicted sids…} (oldest first; the caller revokes them on their own slots).
 */
export const ADMIT_SESSION = `
local idx, led = KEYS[1], KEYS[2]
local now, max, sid = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', led, '-inf', now)
local evicted = {}
if max > 0 then
  local live = {}
  for _, id in ipairs(redis.call('ZRANGE', led, 0, -1)) do
    if id ~= sid then
      live[#live + 1] = {id, tonumber(redis.call('ZSCORE', idx, id) or '0')}
    end
  end
  local over = #live + 1 - max
  if over > 0 then
    if ARGV[3] == 'refuse' then return {0} end
    table.sort(live, function(a, b)
      if a[2] ~= b[2] then return a[2] < b[2] end
      return a[1] < b[1]
    end)
    for i = 1, over do
      evicted[#evicted + 1] = live[i][1]
      redis.call('ZREM', led, live[i][1])
    end
  end
end
redis.call('ZADD', idx, ARGV[5], sid)
redis.call('ZADD', led, ARGV[6], sid)
for _, key in ipairs({idx, led}) do
  local ttl = redis.call('PTTL', key)
  if ttl < tonumber(ARGV[7]) then redis.call('PEXPIRE', key, ARGV[7]) end
end
return {1, unpack(evicted)}
`;

/**
 * Revoke. KEYS: session, grace blobs, history. ARGV: now, reason, onlyLive ('1': skip sessions
 * already expired at now), revokedRetentionMs, tombstoneMs ('' for none). Returns {0} when this
 * call did not revoke it, else {1, address, hashes…}: the family's refresh hashes, whose lookups
 * the caller shortens to the retention. With tombstoneMs, a session not written yet (admitted by
 * the session cap, then evicted by a concurrent sign-in before its own record was written) is
 * revoked in advance: a revoked stub that CREATE_SESSION will not overwrite.
 */
export const REVOKE_SESSION = `${SESSION_LUA}
local s, g, h = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', s) == 0 then
  if ARGV[5] == nil or ARGV[5] == '' then return {0} end
  redis.call('HSET', s, 'revokedAt', ARGV[1], 'revokedReason', ARGV[2])
  redis.call('PEXPIRE', s, ARGV[5])
  return {1, ''}
end
if redis.call('HEXISTS', s, 'revokedAt') == 1 then return {0} end
if ARGV[3] == '1' then
  local now = tonumber(ARGV[1])
  if now >= tonumber(redis.call('HGET', s, 'expiresAt')) then return {0} end
  if now >= tonumber(redis.call('HGET', s, 'idleExpiresAt')) then return {0} end
end
local address = redis.call('HGET', s, 'address') or ''
local _, hashes = revoke(s, g, h, ARGV[1], ARGV[2], tonumber(ARGV[4]))
return {1, address, unpack(hashes)}
`;

/**
 * Touch. KEYS: session, history. ARGV: lastSeenAt, idleExpiresAt ('' to leave it). Moves both
 * forward only, and never touches a revoked or expired session. Returns {} when nothing was
 * touched, else {address, end of life} (for the address's live ledger).
 */
export const TOUCH_SESSION = `
local s, h = KEYS[1], KEYS[2]
if redis.call('EXISTS', s) == 0 then return {} end
if redis.call('HEXISTS', s, 'revokedAt') == 1 then return {} end
local at = tonumber(ARGV[1])
local exp = tonumber(redis.call('HGET', s, 'expiresAt'))
local idle = tonumber(redis.call('HGET', s, 'idleExpiresAt'))
if at >= exp or at >= idle then return {} end
if at > tonumber(redis.call('HGET', s, 'lastSeenAt') or '0') then
  redis.call('HSET', s, 'lastSeenAt', ARGV[1])
end
if ARGV[2] ~= '' then
  local want = math.min(exp, tonumber(ARGV[2]))
  if want > idle then
    idle = want
    redis.call('HSET', s, 'idleExpiresAt', tostring(want))
    local life = math.max(1, want - at)
    redis.call('PEXPIRE', s, life)
    if redis.call('EXISTS', h) == 1 then redis.call('PEXPIRE', h, life) end
  end
end
return {redis.call('HGET', s, 'address'), tostring(math.min(exp, idle))}
`;

/** Replace MFA data. KEYS: mfa, codes. ARGV: codeCount, codes…, then field/value pairs. */
export const PUT_MFA = `
redis.call('DEL', KEYS[1], KEYS[2])
local n = tonumber(ARGV[1])
if n > 0 then redis.call('SADD', KEYS[2], unpack(ARGV, 2, n + 1)) end
redis.call('HSET', KEYS[1], unpack(ARGV, n + 2))
return 1
`;

/** Read MFA data. KEYS: mfa, codes. Returns {flatHash, codes}. */
export const GET_MFA = `
return {redis.call('HGETALL', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}
`;

/** Accept a TOTP step once. KEYS: mfa. ARGV: step. */
export const USE_TOTP_STEP = `
local last = redis.call('HGET', KEYS[1], 'lastTotpStep')
if not last then return 0 end
if tonumber(ARGV[1]) > tonumber(last) then
  redis.call('HSET', KEYS[1], 'lastTotpStep', ARGV[1])
  return 1
end
return 0
`;
