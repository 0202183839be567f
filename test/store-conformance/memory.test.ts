// The in-process memory store (the default), from the server package's sources.
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import { runStoreConformance } from './conformance.js';
import { isolatedMemoryStore } from './probes.js';

runStoreConformance('memory', async () => {
  const store = createMemoryStore();
  return {
    store,
    freesRevoked: true,
    isolated: () => Promise.resolve(isolatedMemoryStore()),
    async cleanup() {
      await store.close?.();
    },
  };
});
