import type { NextConfig } from 'next';

const config: NextConfig = {
  // The server package loads an optional native secp256k1 addon: let Node load it, unbundled.
  serverExternalPackages: ['secp256k1'],
  // The example lives in a monorepo: trace files from its root.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
  poweredByHeader: false,
};

export default config;
