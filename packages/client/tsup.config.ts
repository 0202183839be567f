import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'react/index': 'src/react/index.ts',
    'svelte/index': 'src/svelte/index.ts',
    'signers/local-key': 'src/signers/local-key.ts',
    ky: 'src/ky.ts',
    'dpop/index': 'src/dpop/index.ts',
    ws: 'src/ws.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['react', 'ky', 'dpop'],
});
