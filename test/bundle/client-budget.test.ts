// The client core's size budget, checked on every test run (not only by `pnpm bench`): a change
// that grows what a typical app ships past 10 KiB min+gzip fails here, with the size it reached.
// Bundled exactly as the bench's bundle-size section does (esbuild, browser, minified, gzip -9),
// from the built packages: `pnpm test` builds first, and a build older than its sources fails.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_CORE_BUDGET_BYTES, clientCoreSize } from '../../bench/src/bundle-size.js';

const PACKAGES = fileURLToPath(new URL('../../packages/', import.meta.url));

/** The newest modification time of the non-test sources under `dir`, ms. */
async function newestSource(dir: string): Promise<number> {
  const files = (await readdir(dir, { recursive: true })).filter(
    (f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f),
  );
  const times = await Promise.all(files.map(async (f) => (await stat(join(dir, f))).mtimeMs));
  return Math.max(...times);
}

describe('client core bundle', () => {
  it('is measured from a build no older than its sources', async () => {
    for (const pkg of ['core', 'client']) {
      const built = (await stat(join(PACKAGES, pkg, 'dist', 'index.js'))).mtimeMs;
      expect(
        built,
        `packages/${pkg}/dist is older than its src: run pnpm build`,
      ).toBeGreaterThanOrEqual(await newestSource(join(PACKAGES, pkg, 'src')));
    }
  });

  it(`createAuthClient + injectedWalletSigner stay within ${CLIENT_CORE_BUDGET_BYTES} bytes min+gzip`, async () => {
    const { gzipBytes, minBytes } = await clientCoreSize();
    expect(minBytes).toBeGreaterThan(1000); // the entry resolved to the built client, not nothing
    expect(gzipBytes).toBeLessThanOrEqual(CLIENT_CORE_BUDGET_BYTES);
  });
});
