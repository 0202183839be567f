#!/usr/bin/env node
// The example Worker's bundle (examples/runtimes/worker), built by wrangler itself, offline
// (`wrangler deploy --dry-run --outdir`), and its size: raw bytes, gzip -9 bytes (node:zlib; not
// wrangler's printed figure) and, from esbuild's metafile, the bytes each package contributes
// (rate-limiter-flexible among them).
//
//   node scripts/worker-bundle-size.mjs          minified bundle, a table
//   node scripts/worker-bundle-size.mjs --json   the same as JSON
//
// wrangler 4 needs Node >= 22.12: it runs under the tests' Node 22 (test/node_modules/node22)
// unless this Node is recent enough. Its telemetry and Cloudflare fetches are off.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The example Worker's folder (its wrangler.jsonc). */
export const WORKER_DIR = join(root, 'examples', 'runtimes', 'worker');

const WRANGLER = join(
  root,
  'examples',
  'runtimes',
  'node_modules',
  'wrangler',
  'bin',
  'wrangler.js',
);
const NODE22 = join(root, 'test', 'node_modules', 'node22', 'bin', 'node');

/**
 * The rate-limiter-flexible files a Worker bundle may carry: the in-memory limiter and its storage,
 * the abstract base classes a custom store's limiter extends (the Durable Object store's) and their
 * helpers.
 * Its package index requires every backend it supports (Mongo, MySQL, DynamoDB, cluster, …): any
 * other file means something imports the barrel, or a backend, again.
 */
export const ALLOWED_RATE_LIMITER_FILES =
  /^lib\/(RateLimiter([A-Za-z]*Abstract|Memory|Res)\.js|component\/(MemoryStorage|BlockedKeys)\/[A-Za-z]+\.js|helper\/isRateLimiterCompatible\.js)$/;

/** A Node that can run wrangler 4 (>= 22.12). */
function wranglerNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  if (existsSync(NODE22)) return NODE22;
  throw new Error(
    `wrangler needs Node >= 22.12 (this is ${process.version}) and ${NODE22} is not installed: run pnpm install`,
  );
}

/**
 * Bundles the example Worker with wrangler into `outdir` (nothing is uploaded) and resolves with
 * the bundle's path. Rejects with wrangler's output when it fails.
 *
 * @param {{ outdir: string; minify?: boolean; metafile?: string }} options
 * @returns {Promise<string>}
 */
export async function buildWorker({ outdir, minify = false, metafile }) {
  const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', outdir];
  if (minify) args.push('--minify');
  if (metafile !== undefined) args.push('--metafile', metafile);
  // wrangler replaces `process.env.NODE_ENV` in the bundle with its own NODE_ENV, else with
  // "production" for deploy: unset here, the bundle is the one `wrangler deploy` uploads from a
  // shell without NODE_ENV (a test runner's NODE_ENV=test would turn the server's production
  // mode off).
  const { NODE_ENV: _nodeEnv, ...env } = process.env;
  const output = await new Promise((done, fail) => {
    const child = spawn(wranglerNode(), args, {
      cwd: WORKER_DIR,
      env: {
        ...env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        // wrangler's banner asks registry.npmjs.org for a newer wrangler; hidden, it does not
        WRANGLER_HIDE_BANNER: 'true',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0
        ? done(text)
        : fail(new Error(`wrangler deploy --dry-run failed (${code}):\n${text}`)),
    );
  });
  const bundle = (await readdir(outdir)).find((f) => f.endsWith('.js'));
  if (bundle === undefined) throw new Error(`wrangler wrote no .js file to ${outdir}:\n${output}`);
  return join(outdir, bundle);
}

/** The package a metafile input belongs to: `jose`, `@noble/hashes`, `@evrmore-auth/server`, …. */
function packageOf(input) {
  const path = input.split('/').join(sep);
  const modules = path.lastIndexOf(`node_modules${sep}`);
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + 'node_modules'.length + 1).split(sep);
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  const pkg = /packages[\\/]([^\\/]+)[\\/]/.exec(path);
  if (pkg) return `@evrmore-auth/${pkg[1]}`;
  // the rest is the example's own source (paths relative to its folder)
  return '(the Worker)';
}

/**
 * The files of `name` an esbuild metafile lists as bundled (paths inside the package, sorted):
 * `['lib/RateLimiterMemory.js', …]`.
 *
 * @param {{ inputs: Record<string, unknown> }} meta
 * @param {string} name
 * @returns {string[]}
 */
export function packageFiles(meta, name) {
  const marker = `node_modules/${name}/`;
  return Object.keys(meta.inputs)
    .filter((input) => input.includes(marker))
    .map((input) => input.slice(input.lastIndexOf(marker) + marker.length))
    .sort();
}

/**
 * Builds the example Worker minified (as `wrangler deploy --minify` uploads it) and measures it.
 *
 * @returns {Promise<{ minBytes: number; gzipBytes: number; rateLimiterBytes: number; rateLimiterFiles: string[]; packages: Record<string, number> }>}
 *   `packages`: bytes of the minified output per package, largest first.
 */
export async function workerBundleSize() {
  const dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-worker-size-'));
  try {
    const outdir = join(dir, 'out');
    const metafile = join(dir, 'meta.json');
    const bundle = await buildWorker({ outdir, minify: true, metafile });
    const code = await readFile(bundle);
    const meta = JSON.parse(await readFile(metafile, 'utf8'));
    const output = Object.entries(meta.outputs).find(([name]) => name.endsWith('.js'));
    if (output === undefined) throw new Error('the metafile names no .js output');
    const packages = {};
    for (const [input, { bytesInOutput }] of Object.entries(output[1].inputs)) {
      const name = packageOf(input);
      packages[name] = (packages[name] ?? 0) + bytesInOutput;
    }
    const sorted = Object.fromEntries(Object.entries(packages).sort((a, b) => b[1] - a[1]));
    return {
      minBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      rateLimiterBytes: packages['rate-limiter-flexible'] ?? 0,
      rateLimiterFiles: packageFiles(meta, 'rate-limiter-flexible'),
      packages: sorted,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const size = await workerBundleSize();
  if (process.argv.includes('--json')) console.log(JSON.stringify(size, null, 2));
  else {
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`examples/runtimes/worker, wrangler deploy --dry-run --minify:`);
    console.log(`  minified ${size.minBytes} bytes (${kib(size.minBytes)})`);
    console.log(`  gzip -9  ${size.gzipBytes} bytes (${kib(size.gzipBytes)})`);
    console.log(`by package (bytes of the minified output):`);
    for (const [name, bytes] of Object.entries(size.packages))
      console.log(`  ${name.padEnd(28)} ${String(bytes).padStart(7)}`);
    console.log(`rate-limiter-flexible files: ${size.rateLimiterFiles.join(', ')}`);
  }
}
