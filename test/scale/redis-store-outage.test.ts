// The Redis store alone against a test-owned redis-server that is stopped and restarted mid-run:
// every operation fails closed with StoreUnavailableError while it is down, and the same store
// object works again once it is back, without being recreated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../packages/server/src/store.js';
import { createRedisStore, type RedisStore } from '../../packages/server/src/stores/redis.js';
import { redisServerBinary, startOwnedRedis, type OwnedRedis } from './cluster.js';

const missing = redisServerBinary() === null;
if (missing && process.env.CI === 'true') {
  describe('redis store outage', () => {
    it('needs redis-server on PATH', () => {
      throw new Error('CI=true but redis-server is not installed: this suite must run in CI');
    });
  });
} else {
  if (missing) console.log('SKIP: redis store outage: redis-server not found on PATH');
  describe.skipIf(missing)('redis store outage', () => {
    let redis: OwnedRedis;
    let store: RedisStore;
    beforeAll(async () => {
      redis = await startOwnedRedis();
      store = createRedisStore({ url: redis.url, keyPrefix: 'outage:' });
    });
    afterAll(async () => {
      await store?.close();
      await redis?.stop();
    });

    it('fails closed while Redis is down and resumes by itself', async () => {
      const limiter = store.createRateLimiter({ keyPrefix: 'rl', points: 100, duration: 60 });
      await store.putOnce('a', 'v', Date.now() + 60_000);
      await limiter.consume('ip');
      await redis.stop();

      const ops: Array<() => Promise<unknown>> = [
        () => store.takeOnce('a'),
        () => store.consumeChallenge('n'),
        () => store.getSession('s'),
        () => store.listSessions('E', Date.now()),
        () => store.revokeSession('s', Date.now(), 'x'),
        () =>
          store.rotateRefresh({
            presentedHash: 'h',
            newHash: 'h2',
            now: Date.now(),
            graceMs: 10_000,
            idleExpiresAt: Date.now() + 1000,
            graceBlob: 'b',
          }),
        () => limiter.consume('ip'),
      ];
      for (const op of ops) {
        await expect(op()).rejects.toBeInstanceOf(StoreUnavailableError);
      }

      await redis.start(); // same port, empty data set (no persistence)
      // The client reconnects on its own (retry ≤ 1 s); poll a bounded number of times.
      let back = false;
      for (let i = 0; i < 50 && !back; i++) {
        back = await store.putOnce('b', 'w', Date.now() + 60_000).then(
          () => true,
          () => new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
        );
      }
      expect(back).toBe(true);
      expect(await store.takeOnce('b')).toBe('w');
      expect(await store.takeOnce('a')).toBeNull(); // the data died with the server
      await limiter.consume('ip');
    });
  });
}
