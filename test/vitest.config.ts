import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'integration',
    include: ['**/*.test.ts'],
    exclude: [
      '**/node_modules/**',
      // .ci/run's second pass under Node 24 leaves out the runtime matrix, which starts every
      // runtime itself (Node 24 included) and checks that its node20 row is the Node running it.
      ...(process.env.EVRMORE_AUTH_SKIP_RUNTIME_MATRIX === '1' ? ['runtimes/**'] : []),
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
