// Types of scripts/worker-bundle-size.mjs, for the TypeScript that imports it (test/, bench/).

/** The example Worker's folder (its wrangler.jsonc). */
export declare const WORKER_DIR: string;

/** The rate-limiter-flexible files a Worker bundle may carry (memory limiter and base classes). */
export declare const ALLOWED_RATE_LIMITER_FILES: RegExp;

/** Bundles the example Worker with `wrangler deploy --dry-run` into `outdir`; the bundle's path. */
export declare function buildWorker(options: {
  outdir: string;
  minify?: boolean;
  metafile?: string;
}): Promise<string>;

/** The minified Worker bundle's size. */
export interface WorkerBundleSize {
  /** Bytes of the minified bundle wrangler would upload. */
  minBytes: number;
  /** Its size after gzip -9. */
  gzipBytes: number;
  /** Bytes of the minified bundle that come from rate-limiter-flexible. */
  rateLimiterBytes: number;
  /** The files of rate-limiter-flexible in the bundle (`lib/RateLimiterMemory.js`, …), sorted. */
  rateLimiterFiles: string[];
  /** Bytes of the minified bundle per package, largest first. */
  packages: Record<string, number>;
}

/** The files of package `name` an esbuild metafile lists as bundled, sorted. */
export declare function packageFiles(
  meta: { inputs: Record<string, unknown> },
  name: string,
): string[];

/** Builds the example Worker minified and measures it. */
export declare function workerBundleSize(): Promise<WorkerBundleSize>;
