// IP allow/deny lists kept in a shared store (issue 19), on real Redis and Postgres (and memory,
// for the same checks): the store's rule operations (replace, remove, expiry), a change made on
// instance A seen by instance B within cacheTtlSeconds (frozen clock, advanced) and at once on A,
// a deny-listed IP refused before any work over real HTTP while 127.0.0.1 works, and an
// allow-listed IP never rate-limited with the rate limits in the same shared store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthStore } from '../../packages/server/src/store.js';
import type { IpListName, StoredIpRule } from '../../packages/server/src/access/ip-lists.js';
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import { createTestAuth, wallet } from '../../packages/server/test/harness.js';
import { call, startAccessApp } from '../../packages/server/test/access-servers.js';
import {
  DATABASE_URL,
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  dropSchema,
  testKeyPrefix,
  testSchema,
} from '../helpers/services.js';

type IpStore = AuthStore & {
  putIpRule(rule: StoredIpRule): Promise<void>;
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  listIpRules(now: number): Promise<StoredIpRule[]>;
};

function runIpLists(
  name: string,
  make: () => Promise<{ a: IpStore; b: IpStore; cleanup(): Promise<void> }>,
): void {
  describe(`IP lists on the ${name} store, two instances`, () => {
    let stores: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      stores = await make();
    });
    afterAll(async () => {
      await stores?.cleanup();
    });

    it('stores, replaces, removes and expires rules', async () => {
      const { a, b } = stores;
      const t = 1_800_000_000_000;
      await a.putIpRule({
        list: 'deny',
        cidr: '198.51.100.0/24',
        note: 'x',
        createdAt: t,
        expiresAt: null,
      });
      await a.putIpRule({
        list: 'deny',
        cidr: '198.51.100.0/24',
        note: 'y',
        createdAt: t + 1,
        expiresAt: t + 60_000,
      });
      await a.putIpRule({
        list: 'allow',
        cidr: '2001:db8::/32',
        note: null,
        createdAt: t,
        expiresAt: null,
      });
      const seen = (await b.listIpRules(t)).sort((x, y) => x.list.localeCompare(y.list));
      expect(seen).toEqual([
        { list: 'allow', cidr: '2001:db8::/32', note: null, createdAt: t, expiresAt: null },
        {
          list: 'deny',
          cidr: '198.51.100.0/24',
          note: 'y',
          createdAt: t + 1,
          expiresAt: t + 60_000,
        },
      ]);
      expect((await b.listIpRules(t + 60_000)).map((r) => r.cidr)).toEqual(['2001:db8::/32']);
      expect(await b.removeIpRule('allow', '2001:db8::/32')).toBe(true);
      expect(await a.removeIpRule('allow', '2001:db8::/32')).toBe(false);
      expect(await a.listIpRules(t + 60_000)).toEqual([]);
    });

    it('a change made on instance A reaches instance B within cacheTtlSeconds', async () => {
      const clock = { t: Date.parse('2026-03-01T00:00:00Z') };
      const now = () => clock.t;
      const ipLists = { cacheTtlSeconds: 5 };
      const A = await createTestAuth({ store: stores.a, now, ipLists });
      const B = await createTestAuth({ store: stores.b, now, ipLists });
      const jwks = () => new Request('https://app.example.com/auth/jwks.json');
      expect((await B.handler(jwks(), { ip: '2001:db8:bad:1::7' })).status).toBe(200);
      await A.ipLists.deny('2001:db8:bad::/48', { note: 'scanner' });
      expect((await A.handler(jwks(), { ip: '2001:db8:bad:1::7' })).status).toBe(403);
      clock.t += 4_000;
      expect((await B.handler(jwks(), { ip: '2001:db8:bad:1::7' })).status).toBe(200);
      clock.t += 1_000;
      expect((await B.handler(jwks(), { ip: '2001:db8:bad:1::7' })).status).toBe(403);
      expect((await B.handler(jwks(), { ip: '2001:db8:bad2::7' })).status).toBe(200);
      expect((await B.ipLists.list()).map((r) => [r.list, r.cidr, r.note])).toEqual([
        ['deny', '2001:db8:bad::/48', 'scanner'],
      ]);
      expect(await B.ipLists.remove('2001:db8:bad::/48')).toBe(true);
      clock.t += 5_000;
      expect((await A.handler(jwks(), { ip: '2001:db8:bad:1::7' })).status).toBe(200);
    });

    it('over HTTP: 127.0.0.2 refused before any work, 127.0.0.1 works; the allow list is never rate-limited', async () => {
      const auth = await createTestAuth({
        store: stores.a,
        ipLists: { cacheTtlSeconds: 0 },
        rateLimits: { challenge: { perIp: { points: 2, duration: 600 } } },
      });
      const app = await startAccessApp('express', auth);
      try {
        await auth.ipLists.deny('127.0.0.2');
        await auth.ipLists.allow('127.0.0.1', { expiresInSeconds: 600, note: 'monitoring' });
        const w = wallet('e5');
        const challenge = (from: string) =>
          call(`${app.url}/auth/challenge`, { body: { address: w.address }, from });
        for (let i = 0; i < 10; i++) expect((await challenge('127.0.0.1')).status).toBe(201);
        const denied = await challenge('127.0.0.2');
        expect(denied.status).toBe(403);
        expect(JSON.parse(denied.body)).toMatchObject({ code: 'ip_denied' });
        const echo = await call(`${app.url}/api/echo`, { body: { a: 1 }, from: '127.0.0.2' });
        expect(echo.status).toBe(403);
        expect(app.handled.count).toBe(0);
        const limited: number[] = [];
        for (let i = 0; i < 4; i++) limited.push((await challenge('127.0.0.5')).status);
        expect(limited).toEqual([201, 201, 429, 429]);
      } finally {
        await auth.ipLists.remove('127.0.0.2');
        await auth.ipLists.remove('127.0.0.1');
        await app.close();
      }
    });
  });
}

runIpLists('memory', () => {
  const store = createMemoryStore();
  return Promise.resolve({ a: store, b: store, cleanup: () => store.close() });
});

await describeWithServices(['redis'], 'IP lists (redis)', () => {
  const prefix = testKeyPrefix('iplists');
  runIpLists('redis', () => {
    const a = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const b = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    return Promise.resolve({
      a,
      b,
      async cleanup() {
        await a.close();
        await b.close();
        await cleanupRedisPrefix(prefix);
      },
    });
  });
});

await describeWithServices(['postgres'], 'IP lists (postgres)', () => {
  const schema = testSchema('iplists');
  runIpLists('postgres', async () => {
    const a = createPostgresStore({ connectionString: DATABASE_URL, schema });
    const b = createPostgresStore({ connectionString: DATABASE_URL, schema });
    expect(await a.migrate()).toContain(5);
    return {
      a,
      b,
      async cleanup() {
        await a.close();
        await b.close();
        await dropSchema(schema);
      },
    };
  });
});
