// Attack family 4: making the store hoard. Every refresh used to leave the old hash and its
// ~3 KB grace blob until the session ended (30 days). Now what a session holds is bounded by live
// state: the footprint after 300 refreshes over HTTP is the footprint after 100.
import { Redis } from 'ioredis';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, REDIS_URL } from '../helpers/services.js';
import {
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  VICTIM_IP,
  type AbuseServer,
  type MadeStore,
  type StoreKind,
} from './harness.js';

/** What the store holds, by its own means: entries and bytes, whatever its layout. */
async function footprint(kind: StoreKind, made: MadeStore) {
  if (kind === 'memory') {
    const size = made.memory!.size() as unknown as Record<string, number>;
    return { entries: Object.values(size).reduce((a, b) => a + b, 0), bytes: 0 };
  }
  if (kind === 'redis') {
    const r = new Redis(REDIS_URL);
    try {
      let entries = 0;
      let bytes = 0;
      for (const key of await r.keys(`${made.prefix}*`)) {
        const type = await r.type(key);
        if (type === 'hash') entries += await r.hlen(key);
        else if (type === 'zset') entries += await r.zcard(key);
        else if (type === 'set') entries += await r.scard(key);
        else entries += 1;
        bytes += (await r.memory('USAGE', key)) ?? 0;
      }
      return { entries, bytes };
    } finally {
      r.disconnect();
    }
  }
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const res = await c.query<{ n: string; b: string }>(
      `SELECT count(*) AS n, coalesce(sum(length(grace_blob)), 0) AS b FROM "${made.prefix}".refresh_tokens`,
    );
    return { entries: Number(res.rows[0]!.n), bytes: Number(res.rows[0]!.b) };
  } finally {
    await c.end();
  }
}

await onEveryStore('refreshes that hoard memory', (kind) => {
  const start = serversOn(kind);
  let server: AbuseServer;
  let made: MadeStore;
  beforeAll(async () => {
    ({ server, made } = await start({
      config: { rateLimits: { refresh: { perIp: { points: 10_000, duration: 60 } } } },
    }));
  });

  it('300 refreshes of one session hold no more than 100 did', async () => {
    const { session } = await signIn(server, VICTIM_IP, newWallet());
    let cookies = session!.cookies;
    const refresh = async () => {
      const r = await send(server, VICTIM_IP, 'POST', '/auth/refresh', { cookies });
      expect(r.status).toBe(200);
      cookies = { ...cookies, ...r.cookies };
    };
    for (let i = 0; i < 100; i++) await refresh();
    const after100 = await footprint(kind, made);
    for (let i = 0; i < 200; i++) await refresh();
    const after300 = await footprint(kind, made);
    expect(after300.entries).toBeLessThanOrEqual(after100.entries);
    // bytes: the same entries, give or take an encoding's rounding
    expect(after300.bytes).toBeLessThanOrEqual(after100.bytes * 1.1 + 512);
    expect(after100.entries).toBeLessThan(250); // a session, its capped history, the limits
  });
});
