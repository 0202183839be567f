// Key layout of the Redis store. Every key one Lua script touches carries the same hash tag
// (`{sid}` for a session, `{address}` for MFA data), so each script runs on one slot of a Redis
// Cluster. Keys of different sessions or addresses spread over the cluster.
//
//   <p>ch:{<nonce>}                challenge JSON, PX until expiresAt           (GETDEL)
//   <p>once:{<key>}                single-use value, PX until expiresAt         (GETDEL)
//   <p>sess:{<sid>}                session hash: record fields, `cur` (current refresh hash),
//                                  `prev` (the last retired one), `seq` (rotations so far),
//                                  `t:<hash>` = rotatedAt of each remembered retired hash
//   <p>sess:{<sid>}:h              sorted set of the remembered retired hashes (score: rotation
//                                  number); trimmed to REFRESH_HISTORY_LIMIT with their `t:` fields
//   <p>sess:{<sid>}:g              hash: retired hash -> grace blob, only while it can be served
//                                  (PX max(grace, retry) + retention from the last rotation)
//   <p>rt:{<hash>}                 refresh hash -> sid (write-once lookup; deleted when the hash
//                                  is forgotten, shortened when the session is revoked)
//   <p>addr:{<address>}            sorted set of the address's session ids (score createdAt)
//   <p>addr:{<address>}:live       sorted set of the address's live session ids (score: end of
//                                  life, min(absolute, idle) end): the session cap's ledger, on the
//                                  address's slot; moved by touch/rotation, emptied by revocation
//   <p>mfa:{<address>}             MFA hash
//   <p>mfa:{<address>}:codes       set of unused backup-code hashes
//   <p>rl:<limiter>:<key>          rate-limiter-flexible counters
//   <p>ip:rules                    hash: `<list>|<cidr>` -> IP rule JSON (allow/deny lists)

/** Builds the keys of one store under `prefix`. */
export function redisKeys(prefix: string) {
  return {
    challenge: (nonce: string) => `${prefix}ch:{${nonce}}`,
    once: (key: string) => `${prefix}once:{${key}}`,
    session: (sid: string) => `${prefix}sess:{${sid}}`,
    history: (sid: string) => `${prefix}sess:{${sid}}:h`,
    graceBlobs: (sid: string) => `${prefix}sess:{${sid}}:g`,
    refresh: (hash: string) => `${prefix}rt:{${hash}}`,
    addressSessions: (address: string) => `${prefix}addr:{${address}}`,
    addressLive: (address: string) => `${prefix}addr:{${address}}:live`,
    mfa: (address: string) => `${prefix}mfa:{${address}}`,
    mfaCodes: (address: string) => `${prefix}mfa:{${address}}:codes`,
    rateLimit: (limiter: string) => `${prefix}rl:${limiter}`,
    ipRules: () => `${prefix}ip:rules`,
  };
}

/** The hash tag Redis Cluster hashes for `key` (the whole key when it has none). */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
