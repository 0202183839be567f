// Bundle budget of @evrmore-auth/client (issue 4): each entry is bundled by esbuild for the
// browser (ESM, minified, tree-shaken, every dependency inlined), then gzip -9'd. The client's
// competitors are measured the same way, from their package's main entry.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BenchSection } from './section.js';

/** One measured bundle. */
export interface BundleSizeRow {
  name: string;
  /** What the bundle contains. */
  entry: string;
  minBytes: number;
  gzipBytes: number;
}

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

async function measure(name: string, contents: string): Promise<BundleSizeRow> {
  const result = await build({
    stdin: { contents, resolveDir: BENCH_DIR, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    treeShaking: true,
    external: ['react', 'react-dom'],
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = result.outputFiles[0]!.contents;
  return {
    name,
    entry: contents,
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
  };
}

/**
 * Measure the client core next to `@supabase/auth-js` and `@auth0/auth0-spa-js`. Needs the
 * client package built (`pnpm bench` builds first).
 *
 * @example
 * ```ts
 * const rows = await bundleSize();
 * console.table(rows);
 * ```
 */
export async function bundleSize(): Promise<BundleSizeRow[]> {
  return [
    await measure(
      '@evrmore-auth/client (core: createAuthClient + injected/manual signers)',
      `export * from '@evrmore-auth/client';`,
    ),
    await measure(
      '@evrmore-auth/client typical app (createAuthClient + injectedWalletSigner)',
      `export { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';`,
    ),
    await measure(
      '@evrmore-auth/client/ky (ky, separate entry)',
      `export * from '@evrmore-auth/client/ky';`,
    ),
    await measure(
      '@evrmore-auth/client/local-key (noble signing, separate entry)',
      `export * from '@evrmore-auth/client/local-key';`,
    ),
    await measure(
      '@evrmore-auth/client/react (react external)',
      `export * from '@evrmore-auth/client/react';`,
    ),
    await measure('@supabase/auth-js', `export * from '@supabase/auth-js';`),
    await measure('@auth0/auth0-spa-js', `export * from '@auth0/auth0-spa-js';`),
  ];
}

/**
 * The `bundle-size` section of `pnpm bench`.
 *
 * @example
 * ```ts
 * const { rows } = await bundleSizeSection.run();
 * ```
 */
export const bundleSizeSection: BenchSection = {
  id: 'bundle-size',
  title: 'Bundle size (esbuild --bundle --minify, ESM, browser; gzip -9)',
  async run() {
    const rows = await bundleSize();
    return {
      rows: rows.map((r) => ({
        bundle: r.name,
        'min KiB': Number((r.minBytes / 1024).toFixed(1)),
        'min+gzip KiB': Number((r.gzipBytes / 1024).toFixed(1)),
        'min+gzip bytes': r.gzipBytes,
      })),
      notes: [
        'Each row bundles `export * from <entry>` (or the named imports shown) with every dependency inlined; react is external.',
        'The client core is `@evrmore-auth/client` without /react, /local-key and /ky (separate entry points).',
      ],
    };
  },
};
