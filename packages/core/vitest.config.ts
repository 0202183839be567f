import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'core',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    // Curve arithmetic in pure JS on a shared 2-core machine: generous, never a timing assertion.
    testTimeout: 30_000,
  },
});
