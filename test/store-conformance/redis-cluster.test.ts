// The same conformance suite on a real (test-owned) Redis Cluster: every script's keys must hash
// to one slot, or the cluster answers CROSSSLOT and the suite fails.
import { Cluster } from 'ioredis';
import { describe, it } from 'vitest';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import { runStoreConformance } from './conformance.js';
import { redisProbe } from './probes.js';
import { clusterToolsAvailable, startOwnedCluster } from './redis-cluster.js';

const clusterClient = (nodes: { host: string; port: number }[]) =>
  new Cluster(nodes, {
    enableOfflineQueue: true, // until the slot map is loaded
    redisOptions: { commandTimeout: 2000, connectTimeout: 2000, maxRetriesPerRequest: 1 },
  });

if (!clusterToolsAvailable()) {
  if (process.env.CI === 'true') {
    describe('redis cluster store', () => {
      it('needs redis-server and redis-cli', () => {
        throw new Error('CI=true but redis-server/redis-cli are not installed');
      });
    });
  } else {
    console.log('SKIP: redis cluster store: redis-server / redis-cli not found on PATH');
  }
} else {
  runStoreConformance('redis cluster', async () => {
    const cluster = await startOwnedCluster();
    const a = clusterClient(cluster.nodes);
    const b = clusterClient(cluster.nodes);
    const store = createRedisStore({ client: a, keyPrefix: 'conf:' });
    const peer = createRedisStore({ client: b, keyPrefix: 'conf:' });
    let isolatedRuns = 0;
    return {
      store,
      peer,
      isolated() {
        // Its own prefix on the same cluster (the cluster is thrown away at the end).
        const keyPrefix = `iso${isolatedRuns++}:`;
        const iso = createRedisStore({
          client: a,
          keyPrefix,
          graceRetentionMs: 0,
          revokedRetentionMs: 300,
        });
        return Promise.resolve({
          store: iso,
          probe: redisProbe(a, keyPrefix, 300),
          close: () => iso.close(),
        });
      },
      async cleanup() {
        a.disconnect();
        b.disconnect();
        await cluster.stop();
      },
    };
  });
}
