import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import {
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  testKeyPrefix,
} from '../helpers/services.js';
import { runStoreConformance } from './conformance.js';

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
      async cleanup() {
        await store.close();
        await peer.close();
        await cleanupRedisPrefix(keyPrefix);
      },
    };
  });
});
