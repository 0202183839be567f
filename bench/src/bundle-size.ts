// Bundle budget of @evrmore-auth/client (issues 4 and 15): each entry is bundled by esbuild for the
// browser (ESM, minified, tree-shaken, every dependency inlined), then gzip -9'd. The client's
// competitors are measured the same way, from their package's main entry. The client core
// (createAuthClient + injectedWalletSigner, what a typical app imports) has a budget of
// CLIENT_CORE_BUDGET_BYTES min+gzip: the section fails above it.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BenchSection } from './section.js';

/** The client core's budget, min+gzip bytes (10 KiB). */
export const CLIENT_CORE_BUDGET_BYTES = 10 * 1024;

/** The client core: what a typical app imports. */
export const CLIENT_CORE_ENTRY = `export { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';`;

/** One measured bundle. */
export interface BundleSizeRow {
  name: string;
  /** The min+gzip budget this bundle is held to, if any. */
  budgetBytes?: number;
  /** What the bundle contains. */
  entry: string;
  minBytes: number;
  gzipBytes: number;
}

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

async function measure(
  name: string,
  contents: string,
  budgetBytes?: number,
): Promise<BundleSizeRow> {
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
    ...(budgetBytes !== undefined ? { budgetBytes } : {}),
    entry: contents,
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
  };
}

/**
 * The client core bundle alone (what CI holds to {@link CLIENT_CORE_BUDGET_BYTES}, in
 * test/bundle). Needs the client package built.
 *
 * @example
 * ```ts
 * const { gzipBytes } = await clientCoreSize();
 * ```
 */
export function clientCoreSize(): Promise<BundleSizeRow> {
  return measure(
    '@evrmore-auth/client core (createAuthClient + injectedWalletSigner)',
    CLIENT_CORE_ENTRY,
    CLIENT_CORE_BUDGET_BYTES,
  );
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
    await clientCoreSize(),
    await measure(
      '@evrmore-auth/client root (everything: + manualSigner, error classes)',
      `export * from '@evrmore-auth/client';`,
    ),
    await measure(
      '@evrmore-auth/client/ky (ky, separate entry)',
      `export * from '@evrmore-auth/client/ky';`,
    ),
    await measure(
      '@evrmore-auth/client/ws (authWebSocket, separate entry)',
      `export * from '@evrmore-auth/client/ws';`,
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
    const table = rows.map((r) => ({
      bundle: r.name,
      'min KiB': Number((r.minBytes / 1024).toFixed(1)),
      'min+gzip KiB': Number((r.gzipBytes / 1024).toFixed(2)),
      'min+gzip bytes': r.gzipBytes,
      budget:
        r.budgetBytes === undefined
          ? ''
          : `${r.gzipBytes <= r.budgetBytes ? 'ok' : 'FAIL'} (≤ ${r.budgetBytes / 1024} KiB)`,
    }));
    const over = rows.filter((r) => r.budgetBytes !== undefined && r.gzipBytes > r.budgetBytes);
    if (over.length > 0) {
      // Show the figures, then fail the section (pnpm bench exits non-zero).
      console.table(table);
      throw new Error(
        over
          .map(
            (r) =>
              `FAIL ${r.name}: ${r.gzipBytes} bytes min+gzip, over its budget of ${r.budgetBytes} bytes`,
          )
          .join('; '),
      );
    }
    return {
      rows: table,
      notes: [
        'Each row bundles `export * from <entry>` (or the named imports shown) with every dependency inlined; react is external.',
        `The client core is what a typical app imports (\`${CLIENT_CORE_ENTRY}\`); it must stay within ${CLIENT_CORE_BUDGET_BYTES / 1024} KiB min+gzip. /react, /local-key, /ky and /ws are separate entry points.`,
      ],
    };
  },
};
