// Three server processes sharing the Redis at REDIS_URL (own key prefix per run).
import { describe, it } from 'vitest';
import {
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  testKeyPrefix,
} from '../helpers/services.js';
import { serverBuilt } from './cluster.js';
import { multiInstanceScenarios } from './shared-store.js';

if (!serverBuilt()) {
  describe('three instances sharing Redis', () => {
    it('needs the built packages', () => {
      throw new Error("run `pnpm --filter './packages/*' build` before the scale tests");
    });
  });
} else {
  await describeWithServices(['redis'], 'three instances sharing Redis', () => {
    const keyPrefix = testKeyPrefix('scale');
    multiInstanceScenarios(
      () => ({ STORE: 'redis', REDIS_URL, KEY_PREFIX: keyPrefix, AUTH_JWK: '' }),
      () => cleanupRedisPrefix(keyPrefix),
    );
  });
}
