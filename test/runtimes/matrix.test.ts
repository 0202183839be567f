// The runtime matrix (issue 18): on Node 20, 22 and 24, Bun, Deno and workerd (nodejs_compat off
// and on), the core vector suite runs INSIDE the runtime over the built @evrmore-auth/core, and the
// HTTP contract (http-contract.ts) runs against that runtime's real entry: examples/runtimes'
// node.ts, bun.ts and deno.ts (Deno twice: with the minimal permissions, and with --allow-ffi
// scoped to the secp256k1 addon), and under workerd the fixture Worker matrix-worker.ts. Every
// binary comes from test/'s devDependencies and runs offline (processes.ts). A missing binary
// fails under CI=true, else the runtime is skipped with a `SKIP:` line.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_CONTRACT, type ContractTarget } from './http-contract.js';
import {
  BINARIES,
  installed,
  QUIET_ENV,
  SECP256K1_ADDON_DIR,
  startServer,
  type RuntimeName,
} from './processes.js';
import { bundleWorker, startWorkerd, type WorkerdProcess } from './workerd.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples/runtimes');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const ORIGIN = 'https://app.example.test';
/** A client IP the workerd fixture reads from cf-connecting-ip; the other entries ignore it. */
const EDGE_IP = '203.0.113.7';
const NATIVE = 'secp256k1 (native)';

const vectorFile = (name: string): { vectors: unknown[] } =>
  JSON.parse(readFileSync(join(ROOT, 'test/vectors', name), 'utf8')) as { vectors: unknown[] };
const SHARED_COUNT = vectorFile('evrmore-signed-messages.json').vectors.length;
const ORACLE_COUNT = vectorFile('oracle-generated.json').vectors.length;

const jwk = {
  ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }),
  kid: 'matrix',
};
/** The configuration every entry reads (examples/runtimes/env-config.ts, or Worker bindings). */
const SERVER_ENV: Record<string, string> = {
  ORIGIN,
  AUTH_JWK: JSON.stringify(jwk),
  PRODUCTION: '1',
  // The reuse check presents a rotated token once its successor was used: no grace window.
  REFRESH_GRACE_SECONDS: '0',
  HOST: '127.0.0.1',
};

interface Count {
  total: number;
  passed: number;
  failures: string[];
}
/** What fixtures/vectors-check.mjs returns. */
interface VectorSummary {
  signing: Count;
  verifying: Record<string, { shared: Count; oracle: Count }>;
  /** Optional backends that did not load here, with the reason. */
  unavailable: Record<string, string>;
  /** The runtime that ran the vectors: `node 20.19.0`, `bun 1.4.5`, `deno 2.9.6`, or workerd's
   *  `navigator.userAgent` (`Cloudflare-Workers`). */
  runtime: string;
}

/** A variant's running server and its vector run. */
interface Prepared {
  target: ContractTarget;
  /** The backend the server verifies with (its ready line, or the Worker's answer). */
  backend: string;
  vectors: VectorSummary;
  stop(): Promise<void>;
}

interface Variant {
  label: string;
  runtime: RuntimeName;
  /** What the vector run must report as its runtime (so `node20` is not another Node). */
  reports: RegExp;
  /** Whether the secp256k1 native addon must load here (Node, Bun, Deno with --allow-ffi). */
  native: boolean;
  prepare(): Promise<Prepared>;
}

/**
 * Runs a command to its end and resolves with its stdout. Its own process group, killed whole on
 * timeout: the .bin shims run the real binary as a grandchild (as in processes.ts).
 */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...QUIET_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 120_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')}: exit ${code ?? signal}\n${stderr}`));
    });
  });
}

/** Runs fixtures/vectors.mjs under a runtime; its last stdout line is the JSON summary. */
async function vectorsIn(command: string, args: string[]): Promise<VectorSummary> {
  const out = await run(command, [...args, join(FIXTURES, 'vectors.mjs')], join(ROOT, 'test'));
  return JSON.parse(out.trim().split('\n').at(-1)!) as VectorSummary;
}

/** Starts an examples/runtimes entry and runs the vectors under the same runtime. */
function processVariant(
  label: string,
  runtime: RuntimeName,
  reports: RegExp,
  server: string[],
  vectors: string[],
  native = true,
): Variant {
  return {
    label,
    runtime,
    reports,
    native,
    async prepare() {
      const [started, ran] = await Promise.allSettled([
        startServer({
          command: BINARIES[runtime],
          args: server,
          cwd: EXAMPLES,
          env: SERVER_ENV,
          ready: /ready \d+ backend=.+\n/,
          timeoutMs: 90_000,
        }),
        vectorsIn(BINARIES[runtime], vectors),
      ]);
      if (started.status === 'rejected') throw started.reason;
      const proc = started.value;
      if (ran.status === 'rejected') {
        await proc.stop();
        throw ran.reason;
      }
      const summary = ran.value;
      return {
        target: {
          url: proc.url,
          origin: ORIGIN,
          headers: { 'cf-connecting-ip': EDGE_IP },
          expectedIp: '127.0.0.1',
          keyId: jwk.kid,
        },
        backend: /ready \d+ backend=(.+)\n/.exec(proc.output())![1]!,
        vectors: summary,
        stop: () => proc.stop(),
      };
    },
  };
}

function workerdVariant(nodejsCompat: boolean): Variant {
  return {
    label: `workerd (nodejs_compat ${nodejsCompat ? 'on' : 'off'})`,
    runtime: 'workerd',
    reports: /^Cloudflare-Workers$/,
    native: false,
    async prepare() {
      const dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-matrix-'));
      let workerd: WorkerdProcess | undefined;
      try {
        const server = join(dir, 'server.js');
        const vectors = join(dir, 'vectors.js');
        await Promise.all([
          bundleWorker(join(FIXTURES, 'matrix-worker.ts'), server, { nodejsCompat }),
          bundleWorker(join(FIXTURES, 'vectors-worker.mjs'), vectors, { nodejsCompat }),
        ]);
        const compatibilityFlags = nodejsCompat ? ['nodejs_compat'] : [];
        workerd = await startWorkerd([
          { name: 'server', module: server, compatibilityFlags, vars: SERVER_ENV },
          { name: 'vectors', module: vectors, compatibilityFlags },
        ]);
        const url = workerd.urls.server!;
        const summary = await fetch(workerd.urls.vectors!, {
          signal: AbortSignal.timeout(120_000),
        });
        const backend = await fetch(`${url}/__backend`);
        const running = workerd;
        return {
          target: {
            url,
            origin: ORIGIN,
            headers: { 'cf-connecting-ip': EDGE_IP },
            expectedIp: EDGE_IP,
            keyId: jwk.kid,
          },
          backend: await backend.text(),
          vectors: (await summary.json()) as VectorSummary,
          stop: async () => {
            await running.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        await workerd?.stop();
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

const DENO_RUN = ['run', '--cached-only', '--no-lock', '--node-modules-dir=manual'];
const DENO_SERVER = [...DENO_RUN, '--allow-net=127.0.0.1', '--allow-env', '--allow-read'];

const VARIANTS: Variant[] = [
  processVariant('node20', 'node20', /^node 20\./, ['--import', 'tsx', 'node.ts'], []),
  processVariant('node22', 'node22', /^node 22\./, ['node.ts'], []),
  processVariant('node24', 'node24', /^node 24\./, ['node.ts'], []),
  processVariant(
    'bun',
    'bun',
    /^bun 1\./,
    ['--no-install', 'run', 'bun.ts'],
    ['--no-install', 'run'],
  ),
  processVariant(
    'deno',
    'deno',
    /^deno 2\./,
    [...DENO_SERVER, 'deno.ts'],
    [...DENO_RUN, '--allow-env', '--allow-read'],
    false,
  ),
  processVariant(
    'deno (--allow-ffi for the secp256k1 addon)',
    'deno',
    /^deno 2\./,
    [...DENO_SERVER, `--allow-ffi=${SECP256K1_ADDON_DIR}`, 'deno.ts'],
    [...DENO_RUN, '--allow-env', '--allow-read', `--allow-ffi=${SECP256K1_ADDON_DIR}`],
  ),
  workerdVariant(false),
  workerdVariant(true),
];

const present = VARIANTS.filter((v) => installed(v.runtime));
for (const v of VARIANTS.filter((v) => !installed(v.runtime))) {
  const how = `${BINARIES[v.runtime]} is missing: run \`pnpm install\` (test/package.json installs it)`;
  if (process.env.CI === 'true') {
    describe(`runtime matrix: ${v.label}`, () => {
      it('has its runtime installed', () => {
        throw new Error(`CI=true but ${how}: the matrix must run every runtime in CI`);
      });
    });
  } else console.log(`SKIP: runtime matrix: ${v.label}: ${how}`);
}

const prepared = new Map<Variant, Promise<Prepared>>();

beforeAll(() => {
  // Every runtime starts side by side; a runtime that fails to start fails only its own tests.
  for (const v of present) {
    const p = v.prepare();
    p.catch(() => undefined);
    prepared.set(v, p);
  }
});

afterAll(async () => {
  await Promise.all(
    [...prepared.values()].map((p) => p.then((s) => s.stop()).catch(() => undefined)),
  );
});

const PREPARE_TIMEOUT_MS = 150_000;

describe.concurrent('runtime matrix', () => {
  for (const v of present) {
    describe(v.label, () => {
      const ready = (): Promise<Prepared> => prepared.get(v)!;

      it(
        `passes the core vector suite inside the runtime (${SHARED_COUNT} wallet vectors, ${ORACLE_COUNT} oracle vectors, per backend that loads)`,
        async () => {
          const { vectors } = await ready();
          expect(vectors.runtime).toMatch(v.reports);
          expect(vectors.signing).toEqual({
            total: ORACLE_COUNT,
            passed: ORACLE_COUNT,
            failures: [],
          });
          expect(Object.keys(vectors.verifying)).toContain('@noble/secp256k1');
          for (const [backend, result] of Object.entries(vectors.verifying)) {
            expect(result.shared, backend).toEqual({
              total: SHARED_COUNT,
              passed: SHARED_COUNT,
              failures: [],
            });
            expect(result.oracle, backend).toEqual({
              total: ORACLE_COUNT,
              passed: ORACLE_COUNT,
              failures: [],
            });
          }
          // The native addon loads wherever N-API does (Deno: only with FFI permission).
          if (v.native) expect(Object.keys(vectors.verifying)).toContain(NATIVE);
          else expect(Object.keys(vectors.verifying)).not.toContain(NATIVE);
        },
        PREPARE_TIMEOUT_MS,
      );

      it(
        'the server verifies with a backend that passed the vectors here: the native addon wherever it loads',
        async () => {
          const { vectors, backend } = await ready();
          expect(Object.keys(vectors.verifying)).toContain(backend);
          if (NATIVE in vectors.verifying) expect(backend).toBe(NATIVE);
        },
        PREPARE_TIMEOUT_MS,
      );

      for (const check of HTTP_CONTRACT)
        it(check.name, async () => check.run((await ready()).target), PREPARE_TIMEOUT_MS);
    });
  }
});
