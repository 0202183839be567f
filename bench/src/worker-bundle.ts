// The example Cloudflare Worker's bundle (examples/runtimes/worker), as `wrangler deploy --minify`
// would upload it: built by wrangler itself, offline (scripts/worker-bundle-size.mjs), gzip -9'd
// here with node:zlib, split by package from esbuild's metafile. rate-limiter-flexible's index
// requires every backend it supports; the section fails when the bundle carries any of its files
// other than the in-memory limiter's and the base classes (an import of the package's barrel
// brings them back).
import { ALLOWED_RATE_LIMITER_FILES, workerBundleSize } from '../../scripts/worker-bundle-size.mjs';
import type { BenchSection } from './section.js';

const kib = (bytes: number, digits: number): number => Number((bytes / 1024).toFixed(digits));

/**
 * The `worker-bundle` section of `pnpm bench`.
 *
 * @example
 * ```ts
 * const { rows } = await workerBundleSection.run();
 * ```
 */
export const workerBundleSection: BenchSection = {
  id: 'worker-bundle',
  title:
    'Cloudflare Worker bundle (examples/runtimes/worker, wrangler --dry-run --minify; gzip -9)',
  async run() {
    const size = await workerBundleSize();
    const unused = size.rateLimiterFiles.filter((f) => !ALLOWED_RATE_LIMITER_FILES.test(f));
    const rows = [
      {
        part: 'the whole Worker',
        'min KiB': kib(size.minBytes, 1),
        'share of min': '100%',
        'min+gzip KiB': kib(size.gzipBytes, 2),
        'min+gzip bytes': size.gzipBytes,
      },
      ...Object.entries(size.packages).map(([name, bytes]) => ({
        part: name,
        'min KiB': kib(bytes, 1),
        'share of min': `${((100 * bytes) / size.minBytes).toFixed(1)}%`,
        'min+gzip KiB': null,
        'min+gzip bytes': null,
      })),
    ];
    if (unused.length > 0) {
      console.table(rows);
      throw new Error(
        `FAIL the Worker bundle carries unused rate-limiter-flexible files: ${unused.join(', ')}`,
      );
    }
    return {
      rows,
      notes: [
        "Built by wrangler (`wrangler deploy --dry-run --minify`, nothing uploaded) from examples/runtimes/worker; gzip -9 by node:zlib over the output file. A package's share is its bytes in the minified output (esbuild metafile), before gzip.",
        `rate-limiter-flexible files in the bundle: ${size.rateLimiterFiles.join(', ') || 'none'} (${size.rateLimiterBytes} bytes minified); any other of its files fails the section.`,
      ],
    };
  },
};
