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

/** Create a session. KEYS: session. ARGV: ttlMs, then field/value pairs. */
export const CREATE_SESSION = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** Add a session id to an address index. KEYS: index. ARGV: createdAt, sid, ttlMs. */
export const INDEX_SESSION = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`;

/**
 * Revoke. KEYS: session, grace blobs, history. ARGV: now, reason, onlyLive ('1': skip sessions
 * already expired at now), revokedRetentionMs. Returns {0} when this call did not revoke it, else
 * {1, hashes…}: the family's refresh hashes, whose lookups the caller shortens to the retention.
 */
export const REVOKE_SESSION = `${SESSION_LUA}
local s, g, h = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', s) == 0 then return {0} end
if redis.call('HEXISTS', s, 'revokedAt') == 1 then return {0} end
if ARGV[3] == '1' then
  local now = tonumber(ARGV[1])
  if now >= tonumber(redis.call('HGET', s, 'expiresAt')) then return {0} end
  if now >= tonumber(redis.call('HGET', s, 'idleExpiresAt')) then return {0} end
end
local _, hashes = revoke(s, g, h, ARGV[1], ARGV[2], tonumber(ARGV[4]))
return {1, unpack(hashes)}
`;

/** Touch. KEYS: session. ARGV: lastSeenAt. Never revives a revoked session. */
export const TOUCH_SESSION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'revokedAt') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
return 1
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
