// The client core's size budget, checked on every test run (not only by `pnpm bench`): a change
// that grows what a typical app ships past 10 KiB min+gzip fails here, with the size it reached.
// Bundled exactly as the bench's bundle-size section does (esbuild, browser, minified, gzip -9).
import { describe, expect, it } from 'vitest';
import { CLIENT_CORE_BUDGET_BYTES, clientCoreSize } from '../../bench/src/bundle-size.js';

describe('client core bundle', () => {
  it(`createAuthClient + injectedWalletSigner stay within ${CLIENT_CORE_BUDGET_BYTES} bytes min+gzip`, async () => {
    const { gzipBytes, minBytes } = await clientCoreSize();
    expect(minBytes).toBeGreaterThan(1000); // the entry resolved to the built client, not nothing
    expect(gzipBytes).toBeLessThanOrEqual(CLIENT_CORE_BUDGET_BYTES);
  });
});
