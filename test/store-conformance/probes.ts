// Probes for the bounded-growth checks of the conformance suite: each looks inside its backend by
// the backend's own means (memory: size(); Redis: HKEYS/ZCARD/HLEN/EXISTS; Postgres: count(*)).
import type { Cluster, Redis } from 'ioredis';
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import type { PostgresStore } from '../../packages/server/src/stores/postgres.js';
import { redisKeys } from '../../packages/server/src/stores/redis-keys.js';
import type { IsolatedStore, StoreProbe } from './conformance.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh memory store on a clock that expire() can move forward, probed through size(). */
export function isolatedMemoryStore(): IsolatedStore {
  let ahead = 0;
  const store = createMemoryStore({ now: () => Date.now() + ahead });
  const probe: StoreProbe = {
    refreshEntries: () => Promise.resolve({ refreshHashes: store.size().refreshHashes }),
    graceBlobs: () => Promise.resolve(store.size().graceBlobs),
    holdsSession: () => Promise.resolve(store.size().sessions > 0),
    expire(at) {
      ahead = Math.max(ahead, at - Date.now());
      store.sweep();
      return Promise.resolve();
    },
    freesRevoked: true,
    revokedRetentionMs: 0,
  };
  return { store, probe, close: () => store.close() };
}

/** Probe of a Redis store's keys under `keyPrefix` (single-key commands: works on a cluster). */
export function redisProbe(
  client: Redis | Cluster,
  keyPrefix: string,
  revokedRetentionMs: number,
): StoreProbe {
  const k = redisKeys(keyPrefix);
  return {
    async refreshEntries(sid, hashes) {
      const fields = await client.hkeys(k.session(sid));
      let lookups = 0;
      for (let i = 0; i < hashes.length; i += 200) {
        const batch = hashes.slice(i, i + 200);
        const found = await Promise.all(batch.map((h) => client.exists(k.refresh(h))));
        lookups += found.reduce((a, b) => a + b, 0);
      }
      return {
        'cur and t: fields': fields.filter((f) => f === 'cur' || f.startsWith('t:')).length,
        'history entries': await client.zcard(k.history(sid)),
        'rt: lookups': lookups,
      };
    },
    graceBlobs: (sid) => client.hlen(k.graceBlobs(sid)),
    async holdsSession(sid) {
      const keys = [k.session(sid), k.history(sid), k.graceBlobs(sid)];
      const found = await Promise.all(keys.map((key) => client.exists(key)));
      return found.some((n) => n > 0);
    },
    async expire(at) {
      // TTLs run on Redis's own clock: wait them out (plus a little for expiry to run).
      const wait = at - Date.now() + 50;
      if (wait > 0) await sleep(wait);
    },
    freesRevoked: false,
    revokedRetentionMs,
  };
}

/** Probe of a Postgres store's tables; expire() is purgeExpired(at). */
export function postgresProbe(store: PostgresStore): StoreProbe {
  const S = `"${store.schema}"`;
  const count = async (sql: string, sid: string) =>
    Number((await store.pool.query<{ n: string }>(sql, [sid])).rows[0]!.n);
  return {
    refreshEntries: async (sid) => ({
      rows: await count(`SELECT count(*) AS n FROM ${S}.refresh_tokens WHERE session_id = $1`, sid),
    }),
    graceBlobs: (sid) =>
      count(
        `SELECT count(*) AS n FROM ${S}.refresh_tokens
          WHERE session_id = $1 AND grace_blob IS NOT NULL`,
        sid,
      ),
    holdsSession: async (sid) =>
      (await count(`SELECT count(*) AS n FROM ${S}.sessions WHERE id = $1`, sid)) +
        (await count(`SELECT count(*) AS n FROM ${S}.refresh_tokens WHERE session_id = $1`, sid)) >
      0,
    async expire(at) {
      await store.purgeExpired(at);
    },
    freesRevoked: false,
    revokedRetentionMs: 0,
  };
}
