import { execFileSync } from 'node:child_process';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'adapters/express': 'src/adapters/express.ts',
    'adapters/fastify': 'src/adapters/fastify.ts',
    'adapters/hono': 'src/adapters/hono.ts',
    'adapters/sveltekit': 'src/adapters/sveltekit.ts',
    'adapters/next': 'src/adapters/next.ts',
    'stores/redis': 'src/stores/redis.ts',
    'stores/postgres': 'src/stores/postgres.ts',
    cloudflare: 'src/cloudflare.ts',
    resource: 'src/resource.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  shims: true, // import.meta.url in the CJS build (verify-backend.ts's createRequire)
  external: ['ioredis', 'pg', 'express', 'fastify', 'hono', '@sveltejs/kit', /^next\//],
  // The CJS shim's source-map path would point into node_modules: renamed to bundled:tsup/….
  onSuccess: async () => {
    execFileSync(process.execPath, ['../../scripts/relocate-bundled-sources.mjs', 'dist'], {
      stdio: 'inherit',
    });
  },
});
