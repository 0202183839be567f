// API keys in the Redis store (issue 19). Layout under the store's prefix:
//
//   <p>ak:{<id>}        hash: `r` (the record's fixed fields as JSON), `revokedAt`, `lastUsedAt`
//   <p>ako:{<owner>}    set of the owner's key ids
//   <p>aka              set of every key id
//
// Revocation and the last-use time are single-key Lua scripts (one slot on a Redis Cluster), so a
// late `touch` never clears a revocation. The indexes are written after the record; a listed id
// whose record is missing is skipped.
import type { Cluster, Redis } from 'ioredis';
import type { ApiKeyRecord, ApiKeyStore } from '../store.js';
import { byNewestKey } from './api-key-order.js';

const REVOKE = `
if redis.call('hexists', KEYS[1], 'r') == 0 then return 0 end
if redis.call('hexists', KEYS[1], 'revokedAt') == 1 then return 0 end
redis.call('hset', KEYS[1], 'revokedAt', ARGV[1])
return 1`;

const TOUCH = `
if redis.call('hexists', KEYS[1], 'r') == 0 then return 0 end
if redis.call('hexists', KEYS[1], 'revokedAt') == 1 then return 0 end
local last = tonumber(redis.call('hget', KEYS[1], 'lastUsedAt') or '0')
if tonumber(ARGV[1]) > last then redis.call('hset', KEYS[1], 'lastUsedAt', ARGV[1]) end
return 1`;

interface ApiKeyScripts {
  evrauthRevokeApiKey(key: string, at: number): Promise<number>;
  evrauthTouchApiKey(key: string, at: number): Promise<number>;
}

type Fixed = Omit<ApiKeyRecord, 'revokedAt' | 'lastUsedAt'>;

function decode(h: Record<string, string>): ApiKeyRecord | null {
  if (h.r === undefined) return null;
  const fixed = JSON.parse(h.r) as Fixed;
  return {
    ...fixed,
    revokedAt: h.revokedAt === undefined ? null : Number(h.revokedAt),
    lastUsedAt: h.lastUsedAt === undefined ? null : Number(h.lastUsedAt),
  };
}

/**
 * The API-key part of the Redis store, on its client and key prefix; `run` is the store's guard
 * (ready wait, failures as `StoreUnavailableError`).
 */
export function redisApiKeys(
  client: Redis | Cluster,
  prefix: string,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
): ApiKeyStore {
  if (!('evrauthRevokeApiKey' in client)) {
    client.defineCommand('evrauthRevokeApiKey', { numberOfKeys: 1, lua: REVOKE });
    client.defineCommand('evrauthTouchApiKey', { numberOfKeys: 1, lua: TOUCH });
  }
  const sc = client as unknown as ApiKeyScripts;
  const keyOf = (id: string) => `${prefix}ak:{${id}}`;
  const ownerOf = (owner: string) => `${prefix}ako:{${owner}}`;
  const all = `${prefix}aka`;

  return {
    putApiKey: (r) =>
      run(async () => {
        const { revokedAt, lastUsedAt, ...fixed } = r;
        const fields: string[] = ['r', JSON.stringify(fixed satisfies Fixed)];
        if (revokedAt !== null) fields.push('revokedAt', String(revokedAt));
        if (lastUsedAt !== null) fields.push('lastUsedAt', String(lastUsedAt));
        await client.del(keyOf(r.id));
        await client.hset(keyOf(r.id), ...fields);
        await client.sadd(ownerOf(r.owner), r.id);
        await client.sadd(all, r.id);
      }),

    getApiKey: (id) => run(async () => decode(await client.hgetall(keyOf(id)))),

    listApiKeys: (owner) =>
      run(async () => {
        const ids = await client.smembers(owner === undefined ? all : ownerOf(owner));
        const found = await Promise.all(
          ids.map(async (id) => decode(await client.hgetall(keyOf(id)))),
        );
        return found
          .filter(
            (k): k is ApiKeyRecord => k !== null && (owner === undefined || k.owner === owner),
          )
          .sort(byNewestKey);
      }),

    revokeApiKey: (id, at) => run(async () => (await sc.evrauthRevokeApiKey(keyOf(id), at)) === 1),

    touchApiKey: (id, at) =>
      run(async () => {
        await sc.evrauthTouchApiKey(keyOf(id), at);
      }),
  };
}
