// The MFA path end to end (createEvrmoreAuth → /verify → /mfa/verify) on every store, with two
// server instances sharing one store: a TOTP step, a backup code and an mfa token are each
// accepted exactly once across instances. (The store-level MFA cases live in conformance.ts.)
import { Secret } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotpCode } from '../../packages/server/src/mfa/totp.js';
import type { AuthStore } from '../../packages/server/src/store.js';
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import {
  createHarness,
  problem,
  wallet,
  type Harness,
} from '../../packages/server/test/harness.js';
import type { MemoryStore } from '../../packages/server/src/stores/memory.js';
import {
  DATABASE_URL,
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  dropSchema,
  testKeyPrefix,
  testSchema,
} from '../helpers/services.js';

const KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 29 + 5) & 255)));
const STEP = 30_000;

function runMfaFlow(
  name: string,
  make: (now: () => number) => Promise<{ a: AuthStore; b: AuthStore; cleanup(): Promise<void> }>,
): void {
  describe(`MFA flow on the ${name} store`, () => {
    const clock = { t: Math.floor(Date.now() / STEP) * STEP + 1_000 };
    const now = (): number => clock.t;
    let stores: Awaited<ReturnType<typeof make>>;
    let h1: Harness;
    let h2: Harness;
    beforeAll(async () => {
      stores = await make(now);
      const config = { mfa: { encryptionKeys: [{ id: 'k1', key: KEY }] }, now };
      h1 = await createHarness({ ...config, store: stores.a as MemoryStore });
      h2 = await createHarness({ ...config, store: stores.b as MemoryStore });
    });
    afterAll(async () => {
      await stores?.cleanup();
    });

    const token = async (h: Harness, seed: string): Promise<string> => {
      const w = wallet(seed);
      const { message } = await h.challenge(w);
      const res = await h.request('POST', '/auth/verify', {
        body: { message, signature: w.sign(message) },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { mfaRequired?: boolean; mfaToken: string };
      expect(body.mfaRequired).toBe(true);
      return body.mfaToken;
    };
    const verify = (h: Harness, mfaToken: string, code: string) =>
      h.request('POST', '/auth/mfa/verify', { body: { mfaToken, code } });

    it('enrols on one instance, signs in on the other; each code and token counts once', async () => {
      const seed = `7${Math.floor(Math.random() * 9)}`;
      const w = wallet(seed);
      const s = await h1.signIn(w);
      const setup = await h1.request('POST', '/auth/mfa/totp/setup', {
        headers: s.authHeaders,
        body: {},
      });
      const secretBase32 = ((await setup.json()) as { secret: string }).secret;
      const secret = Secret.fromBase32(secretBase32).bytes;
      const enable = await h1.request('POST', '/auth/mfa/totp/enable', {
        headers: s.authHeaders,
        body: { code: generateTotpCode(secret, clock.t) },
      });
      expect(enable.status).toBe(200);
      const { backupCodes } = (await enable.json()) as { backupCodes: string[] };
      const raw = JSON.stringify(await stores.b.getMfa(w.address));
      expect(raw).not.toContain(secretBase32);
      for (const c of backupCodes) expect(raw).not.toContain(c);
      expect(raw).toContain('"enabled":true');

      clock.t += STEP;
      const code = generateTotpCode(secret, clock.t);
      // The same TOTP code on both instances at once, with two mfa tokens: one sign-in.
      const [t1, t2] = [await token(h1, seed), await token(h2, seed)];
      const results = await Promise.all([verify(h1, t1, code), verify(h2, t2, code)]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);

      // One mfa token raced on both instances: exactly one success.
      clock.t += STEP;
      const shared = await token(h1, seed);
      const next = generateTotpCode(secret, clock.t);
      const raced = await Promise.all([verify(h1, shared, next), verify(h2, shared, next)]);
      expect(raced.map((r) => r.status).sort()).toEqual([200, 401]);

      // A backup code across instances: once.
      const b = backupCodes[0]!;
      const used = await verify(h2, await token(h2, seed), b);
      expect(used.status).toBe(200);
      const again = await verify(h1, await token(h1, seed), b);
      expect((await problem(again)).code).toBe('mfa_invalid');
      expect((await stores.a.getMfa(w.address))?.backupCodeHashes).toHaveLength(9);
    });
  });
}

runMfaFlow('memory', async (now) => {
  const store = createMemoryStore({ now });
  return { a: store, b: store, cleanup: async () => {} };
});

await describeWithServices(['redis'], 'redis store', () => {
  const keyPrefix = testKeyPrefix('mfa');
  runMfaFlow('redis', async (now) => {
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
  runMfaFlow('postgres', async (now) => {
    const schema = testSchema('mfa');
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
