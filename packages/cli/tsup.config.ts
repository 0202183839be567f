import { defineConfig } from 'tsup';

export default defineConfig({
  // One executable; the packages it drives stay external (they are dependencies).
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
});
