import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // Unit tests run against core's sources, so they need no build of core first.
    alias: {
      '@evrmore-auth/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    name: 'client',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
