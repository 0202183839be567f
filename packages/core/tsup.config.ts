import { execFileSync } from 'node:child_process';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  entry: {
    index: 'src/index.ts',
    'backends/tiny-secp256k1': 'src/backends/tiny-secp256k1.ts',
    'backends/native': 'src/backends/native.ts',
  },
  dts: true,
  sourcemap: true,
  clean: false, // the build script empties dist/ once; two configs cleaning in parallel would race
  target: 'es2022',
  treeshake: true,
};

export default defineConfig([
  {
    ...shared,
    format: ['esm'],
    // One ESM file per source module (index.js re-exports them). With `sideEffects: false`, a
    // bundler then drops whole modules an app does not use, with their dependencies: the browser
    // client uses no address codec, so bs58check (whose top-level `bs58checkBase(sha256x2)` call a
    // bundler must otherwise keep) and its SHA-256 stay out of its bundle (`pnpm bench bundle-size`).
    entry: ['src/**/*.ts', '!src/**/*.test.ts', '!src/**/*.d.ts'],
    bundle: false,
    dts: { entry: shared.entry as Record<string, string> },
  },
  {
    ...shared,
    format: ['cjs'],
    // @noble/secp256k1 v3 is ESM-only (@noble/hashes 1.8, the major bs58check uses, also ships
    // CJS, but is bundled with it so the CJS build has one copy). Bundling them into the CJS build
    // makes `require('@evrmore-auth/core')` work on every Node ≥ 20 (require(esm) is only
    // unflagged from 20.19) and in CJS-only tools such as Jest.
    noExternal: [/^@noble\//],
    // Their source-map paths would point outside the package: renamed to bundled:@noble/….
    onSuccess: async () => {
      execFileSync(
        process.execPath,
        ['../../scripts/relocate-bundled-sources.mjs', 'dist', '.cjs.map'],
        {
          stdio: 'inherit',
        },
      );
    },
  },
]);
