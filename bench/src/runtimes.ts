// HTTP sign-ins per second through each runtime's own server (Node 20, 22 and 24, Bun, Deno, and
// workerd, Cloudflare's runtime), the same auth on each (src/runtimes/bench-auth.mjs), as a ratio
// to Node 20 with the native backend (the baseline), all servers up at once and measured in
// interleaved rounds. Binaries are the test package's devDependencies (test/runtimes/processes.ts).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import {
  BINARIES,
  installed,
  SECP256K1_ADDON_DIR,
  startServer,
  type RuntimeName,
  type ServerProcess,
} from '../../test/runtimes/processes.js';
import { bundleWorker, startWorkerd } from '../../test/runtimes/workerd.js';
import { ORIGIN, presign, WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';
import { httpSignIns } from './signin-http.js';

const ROUNDS = 3;
const SIGNINS = 600;
const here = (file: string): string =>
  fileURLToPath(new URL(`./runtimes/${file}`, import.meta.url));

interface Target {
  name: string;
  runtime: RuntimeName;
  start(
    env: Record<string, string>,
  ): Promise<{ url: string; backend: string; stop(): Promise<void> }>;
}

function processTarget(name: string, runtime: RuntimeName, args: string[]): Target {
  return {
    name,
    runtime,
    async start(env) {
      const proc: ServerProcess = await startServer({
        command: BINARIES[runtime],
        args,
        env,
        ready: /ready \d+ backend=.+\n/,
        timeoutMs: 60_000,
      });
      const backend = /backend=(.+)\n/.exec(proc.output())?.[1] ?? '?';
      return { url: proc.url, backend, stop: proc.stop };
    },
  };
}

const DENO = [
  'run',
  '--node-modules-dir=manual',
  '--cached-only',
  '--allow-net=127.0.0.1',
  '--allow-env',
  '--allow-read',
];

const TARGETS: Target[] = [
  processTarget('Node 20', 'node20', [here('serve-node.mjs')]),
  processTarget('Node 22', 'node22', [here('serve-node.mjs')]),
  processTarget('Node 24', 'node24', [here('serve-node.mjs')]),
  processTarget('Bun', 'bun', ['--no-install', 'run', here('serve-bun.mjs')]),
  processTarget('Deno, --allow-ffi (addon)', 'deno', [
    ...DENO,
    `--allow-ffi=${SECP256K1_ADDON_DIR}`,
    here('serve-deno.mjs'),
  ]),
  processTarget('Deno, no FFI', 'deno', [...DENO, here('serve-deno.mjs')]),
  {
    name: 'workerd (no nodejs_compat)',
    runtime: 'workerd',
    async start(env) {
      const dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-bench-worker-'));
      const module = join(dir, 'worker.js');
      await bundleWorker(here('serve-worker.mjs'), module, { minify: true });
      const w = await startWorkerd([{ name: 'bench', module, vars: env }]);
      const url = w.urls.bench!;
      return {
        url,
        backend: await (await fetch(`${url}/__backend`)).text(),
        async stop() {
          await w.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

/**
 * The `runtimes` section of `pnpm bench`.
 *
 * @example
 * ```ts
 * const { rows } = await runtimesSection.run();
 * ```
 */
export const runtimesSection: BenchSection = {
  id: 'runtimes',
  title: 'HTTP sign-ins per second on each runtime vs Node 20 with the native backend',
  async run() {
    const missing = TARGETS.filter((t) => !installed(t.runtime)).map((t) => t.runtime);
    if (missing.length > 0)
      throw new Error(`missing runtime binaries (${missing.join(', ')}): run pnpm install`);
    const jwk = JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }));
    const env = { ORIGIN, AUTH_JWK: jwk, NODE_ENV: 'development' };
    const servers = await Promise.all(TARGETS.map((t) => t.start(env)));
    try {
      const addresses = WALLET_KEYS.map((k) => privateKeyToAddress(k, { network: evrmore }));
      const rates: number[][] = TARGETS.map(() => []);
      for (const s of servers)
        await httpSignIns(s.url, addresses, await presign(s.url, addresses, 100));
      for (let r = 0; r < ROUNDS; r++) {
        // Rotate the order each round, so outside load hits every runtime alike.
        for (let k = 0; k < servers.length; k++) {
          const i = (k + r) % servers.length;
          const bodies = await presign(servers[i]!.url, addresses, SIGNINS);
          rates[i]!.push(await httpSignIns(servers[i]!.url, addresses, bodies));
        }
      }
      const medians = rates.map(median);
      const baseline = medians[0]!;
      return {
        rows: TARGETS.map((t, i) => ({
          runtime: t.name,
          backend: servers[i]!.backend,
          'sign-ins/s (median)': Math.round(medians[i]!),
          'vs Node 20 native': ratio(medians[i]!, baseline),
        })),
        notes: [
          `${ROUNDS} interleaved rounds of ${SIGNINS} sign-ins (challenge + verify, signatures made ahead of ` +
            'time) per runtime, by autocannon (16 connections) from this process; every server is up for the ' +
            'whole run, each in its own process, with the same auth (memory store, rate limits off, the backend ' +
            "the server picks there). The load generator shares the machine's cores with the server under test.",
          'workerd runs the Worker without nodejs_compat (pure-JS verification: Workers load no native addons); ' +
            'Deno loads the native addon only with --allow-ffi.',
        ],
      };
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
};
