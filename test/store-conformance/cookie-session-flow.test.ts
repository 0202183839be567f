// Cookie mode (issue 17) with two server instances sharing one store (memory, Redis, Postgres):
// a session cookie minted on one instance is a session on the other, the server-side refresh
// rotates in the shared store (concurrent refreshes on both instances get the same set, a replayed
// old refresh cookie revokes the family everywhere), and a revocation on one instance is seen by
// the other's very next getSession, its verified-token cache notwithstanding.
import type { TokenResponse } from '@evrmore-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthStore } from '../../packages/server/src/store.js';
import { createMemoryStore, type MemoryStore } from '../../packages/server/src/stores/memory.js';
import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import { createHarness, ORIGIN, wallet, type Harness } from '../../packages/server/test/harness.js';
import { CookieJar } from '../../packages/server/test/cookie-jar.js';
import {
  DATABASE_URL,
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  dropSchema,
  testKeyPrefix,
  testSchema,
} from '../helpers/services.js';

const SESSION = '__Host-evrmore-session';
const RT = '__Secure-evrmore-rt';

const page = (jar: CookieJar) =>
  new Request(`${ORIGIN}/dashboard`, { headers: { cookie: jar.header('/') } });

function runCookieFlow(
  name: string,
  make: (now: () => number) => Promise<{ a: AuthStore; b: AuthStore; cleanup(): Promise<void> }>,
): void {
  describe(`cookie sessions on the ${name} store, two instances`, () => {
    const clock = { t: Math.floor(Date.now() / 1000) * 1000 };
    const now = (): number => clock.t;
    let stores: Awaited<ReturnType<typeof make>>;
    let h1: Harness;
    let h2: Harness;
    beforeAll(async () => {
      stores = await make(now);
      h1 = await createHarness({ sessionCookie: true, now, store: stores.a as MemoryStore });
      h2 = await createHarness({ sessionCookie: true, now, store: stores.b as MemoryStore });
    });
    afterAll(async () => {
      await stores?.cleanup();
    });

    async function signIn(seed: string) {
      const w = wallet(seed);
      const { message } = await h1.challenge(w);
      const res = await h1.request('POST', '/auth/verify', {
        body: { message, signature: w.sign(message) },
        headers: { origin: ORIGIN },
      });
      expect(res.status).toBe(200);
      const tokens = (await res.json()) as TokenResponse;
      return { w, tokens, jar: new CookieJar().apply(res) };
    }

    it('a session cookie from instance 1 is a session on instance 2; a revocation on 1 is seen by 2 at once', async () => {
      const { w, tokens, jar } = await signIn('61');
      const s = await h2.auth.getSession(page(jar));
      expect(s.identity?.address).toBe(w.address);
      expect((await h2.auth.getSession(page(jar))).identity).not.toBeNull(); // cached on 2 now
      expect(await h1.auth.revokeSession(tokens.session.id)).toBe(true);
      const after = await h2.auth.getSession(page(jar));
      expect(after.identity).toBeNull();
      expect(after.setCookie.some((c) => c.startsWith(`${SESSION}=;`))).toBe(true);
    });

    it('concurrent server-side refreshes on both instances get the same set; the old refresh cookie replayed later revokes the family on both', async () => {
      const { tokens, jar } = await signIn('62');
      const stolen = new CookieJar().apply(
        [...jar.cookies.values()].map((c) => `${c.name}=${c.value}; Path=${c.path}`),
      );
      clock.t += 931_000;
      jar.delete(SESSION);
      const [a, b] = await Promise.all([
        h1.auth.getSession(page(jar)),
        h2.auth.getSession(page(jar)),
      ]);
      expect(a.identity?.sessionId).toBe(tokens.session.id);
      expect(b.identity?.sessionId).toBe(tokens.session.id);
      const rt = (x: { setCookie: string[] }) => x.setCookie.find((c) => c.startsWith(`${RT}=`));
      expect(rt(a)).toBeDefined();
      expect(rt(a)).toBe(rt(b));
      jar.apply(a.setCookie);
      expect((await h2.auth.getSession(page(jar))).setCookie).toEqual([]);

      clock.t += 61_000; // past the grace and retry windows
      stolen.delete(SESSION);
      const replay = await h1.auth.getSession(page(stolen));
      expect(replay.identity).toBeNull();
      expect((await stores.b.getSession(tokens.session.id))?.revokedAt).not.toBeNull();
      expect((await h2.auth.getSession(page(jar))).identity).toBeNull();
    });
  });
}

runCookieFlow('memory', async (now) => {
  const store = createMemoryStore({ now });
  return { a: store, b: store, cleanup: async () => {} };
});

await describeWithServices(['redis'], 'redis store', () => {
  const keyPrefix = testKeyPrefix('cookie');
  runCookieFlow('redis', async (now) => {
    const a = createRedisStore({ url: REDIS_URL, keyPrefix, now });
    const b = createRedisStore({ url: REDIS_URL, keyPrefix, now });
    return {
      a,
      b,
      async cleanup() {
        await a.close();
        await b.close();
        await cleanupRedisPrefix(keyPrefix);
      },
    };
  });
});

await describeWithServices(['postgres'], 'postgres store', () => {
  runCookieFlow('postgres', async (now) => {
    const schema = testSchema('cookie');
    const a = createPostgresStore({ connectionString: DATABASE_URL, schema, now });
    await a.migrate();
    const b = createPostgresStore({ connectionString: DATABASE_URL, schema, now });
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
