import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import {
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  testKeyPrefix,
} from '../helpers/services.js';
import { runStoreConformance } from './conformance.js';
import { redisProbe } from './probes.js';

await describeWithServices(['redis'], 'redis store', () => {
  runStoreConformance('redis', async () => {
    const keyPrefix = testKeyPrefix('conf');
    const store = createRedisStore({ url: REDIS_URL, keyPrefix });
    const peer = createRedisStore({ url: REDIS_URL, keyPrefix });
    return {
      store,
      peer,
      // Port 1 on loopback: nothing listens, connections are refused.
      unreachable: () =>
        createRedisStore({ url: 'redis://127.0.0.1:1', keyPrefix, readyTimeoutMs: 300 }),
      isolated() {
        const prefix = testKeyPrefix('iso');
        const iso = createRedisStore({
          url: REDIS_URL,
          keyPrefix: prefix,
          graceRetentionMs: 0,
          revokedRetentionMs: 300,
        });
        return Promise.resolve({
          store: iso,
          probe: redisProbe(iso.client, prefix, 300),
          async close() {
            await iso.close();
            await cleanupRedisPrefix(prefix);
          },
        });
      },
      async cleanup() {
        await store.close();
        await peer.close();
        await cleanupRedisPrefix(keyPrefix);
      },
    };
  });
});
