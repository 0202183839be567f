import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cli',
    // The tests run the built CLI (dist/cli.js) as a subprocess: `pnpm build` first.
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
