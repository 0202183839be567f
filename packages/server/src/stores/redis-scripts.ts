// Lua scripts of the Redis store. Each runs atomically on one slot (all KEYS share a hash tag).

/**
 * Refresh rotation. KEYS: session, grace key of the presented hash.
 * ARGV: presentedHash, newHash, now, graceMs, idleExpiresAt, graceBlob, graceKeyTtlMs.
 * Returns {kind, sessionFlatHash[, graceBlob]}.
 */
export const ROTATE_REFRESH = `
local s = KEYS[1]
if redis.call('EXISTS', s) == 0 then return {'invalid'} end
if redis.call('HEXISTS', s, 'revokedAt') == 1 then return {'invalid'} end
local now = tonumber(ARGV[3])
local exp = tonumber(redis.call('HGET', s, 'expiresAt'))
local idle = tonumber(redis.call('HGET', s, 'idleExpiresAt'))
if now >= exp or now >= idle then return {'invalid'} end
if redis.call('HGET', s, 'cur') == ARGV[1] then
  redis.call('HSET', s, 'cur', ARGV[2], 't:' .. ARGV[1], ARGV[3], 'idleExpiresAt', ARGV[5], 'lastSeenAt', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[7])
  return {'rotated', redis.call('HGETALL', s)}
end
local rotatedAt = redis.call('HGET', s, 't:' .. ARGV[1])
if not rotatedAt then return {'invalid'} end
if now - tonumber(rotatedAt) < tonumber(ARGV[4]) then
  local blob = redis.call('GET', KEYS[2])
  if blob then return {'grace', redis.call('HGETALL', s), blob} end
end
redis.call('HSET', s, 'revokedAt', ARGV[3], 'revokedReason', 'refresh_reused')
return {'reused', redis.call('HGETALL', s)}
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
 * Revoke. KEYS: session. ARGV: now, reason, onlyLive ('1': skip sessions already expired at now).
 * Returns 1 when this call revoked it.
 */
export const REVOKE_SESSION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'revokedAt') == 1 then return 0 end
if ARGV[3] == '1' then
  local now = tonumber(ARGV[1])
  if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return 0 end
  if now >= tonumber(redis.call('HGET', KEYS[1], 'idleExpiresAt')) then return 0 end
end
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1], 'revokedReason', ARGV[2])
return 1
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
