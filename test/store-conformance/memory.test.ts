// The in-process memory store (the default), from the server package's sources.
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import { runStoreConformance } from './conformance.js';

runStoreConformance('memory', async () => {
  const store = createMemoryStore();
  return {
    store,
    async cleanup() {
      await store.close?.();
    },
  };
});
