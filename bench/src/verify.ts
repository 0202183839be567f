// Message verifications per second for each secp256k1 backend of @evrmore-auth/core, as a ratio
// to a full message verification on the `secp256k1` native addon by another implementation
// (bitcoinjs-message with the Evrmore prefix: libsecp256k1 recovery, Node's own hashing),
// measured in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  evrmore,
  evrmoreTestnet,
  nobleBackend,
  verifyMessage,
  type Secp256k1Backend,
  type VerifyMessageOptions,
} from '@evrmore-auth/core';
import { nativeBackend } from '@evrmore-auth/core/backends/native';
import { tinySecp256k1Backend } from '@evrmore-auth/core/backends/tiny-secp256k1';
import type { BenchSection } from './section.js';
import { createEvrmoreAuth } from '@evrmore-auth/server';

/** Interleaved rounds per backend; each figure is the median over them. */
const ROUNDS = 7;
/** Time each verifier gets per round. 5 verifiers × 7 rounds × 0.5 s ≈ 18 s. */
const ROUND_MS = 500;
const WARMUP_MS = 300;

interface OracleVector {
  network: string;
  address: string;
  message: string;
  signature: string;
}

/** One vector as verifyMessage takes it (text message, base64 signature). */
type Input = Omit<VerifyMessageOptions, 'backend' | 'message' | 'signature'> & {
  message: string;
  signature: string;
};

/** Real inputs: the oracle-generated vectors (mixed networks, key forms and message lengths). */
function workload(): Input[] {
  const file = JSON.parse(
    readFileSync(new URL('../../test/vectors/oracle-generated.json', import.meta.url), 'utf8'),
  ) as { vectors: OracleVector[] };
  return file.vectors.map((v) => ({
    address: v.address,
    message: v.message,
    signature: v.signature,
    network: v.network === 'evrmore' ? evrmore : evrmoreTestnet,
  }));
}

/** One full verification of `input`: true when it verifies. */
type Verifier = (input: Input) => boolean;

const PREFIX = '\x18Evrmore Signed Message:\n';

/**
 * Build bitcoinjs-message's `secp256k1` addon (3.x) in `dir` with npm's node-gyp against this
 * Node's own headers (`<prefix>/include/node`), offline. The install skips that build on purpose
 * (pnpm-workspace.yaml: without the headers node-gyp would fetch them, and the tests' oracle needs
 * only the package's pure-JS fallback); the bench's baseline needs the native one, so it builds it
 * on first use (about 10 s) and says so. Throws, naming what is missing, when it cannot.
 */
function buildReferenceAddon(dir: string): void {
  const prefix = resolve(dirname(process.execPath), '..');
  const headers = join(prefix, 'include', 'node', 'node_api.h');
  const nodeGyp = join(
    prefix,
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  for (const [what, path] of [
    ["this Node's headers", headers],
    ["npm's node-gyp", nodeGyp],
  ] as const)
    if (!existsSync(path))
      throw new Error(
        `bitcoinjs-message's secp256k1 native addon is not built, and ${what} (${path}) is missing to build it`,
      );
  console.log(`building bitcoinjs-message's secp256k1 addon (the verify baseline) in ${dir}`);
  const built = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${prefix}`], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (built.status !== 0)
    throw new Error(
      `node-gyp rebuild failed in ${dir} (exit ${built.status}): ${built.stderr.slice(-1500)}`,
    );
}

/**
 * The baseline: bitcoinjs-message on the `secp256k1` native addon, built first when it is not
 * (never the pure-JS elliptic fallback the package would silently load instead).
 */
function nativeReference(): Verifier {
  const require = createRequire(import.meta.url);
  const fromMessage = createRequire(require.resolve('bitcoinjs-message'));
  try {
    fromMessage('secp256k1/bindings.js');
  } catch {
    buildReferenceAddon(dirname(fromMessage.resolve('secp256k1/package.json')));
    try {
      fromMessage('secp256k1/bindings.js');
    } catch (cause) {
      throw new Error("bitcoinjs-message's secp256k1 native addon did not load after its build", {
        cause,
      });
    }
  }
  const bitcoinMessage = require('bitcoinjs-message') as {
    verify(message: string, address: string, signature: string, prefix: string): boolean;
  };
  return (input) => bitcoinMessage.verify(input.message, input.address, input.signature, PREFIX);
}

const ours =
  (backend: Secp256k1Backend): Verifier =>
  (input) =>
    verifyMessage({ ...input, backend }).valid;

/** Verifications per second of `verify` over `inputs` for about `ms` milliseconds. */
function measure(verify: Verifier, inputs: Input[], ms: number): number {
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) {
      if (!verify(inputs[count % inputs.length]!)) throw new Error('bench input did not verify');
      count++;
    }
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Verify/sec for noble, tiny-secp256k1 and native, and for the native reference: warm-up, then
 * ROUNDS rounds in which every verifier runs once (the order rotates each round), median per
 * verifier, ratio to the reference.
 *
 * @example
 * ```ts
 * const { rows } = await verifySection.run();
 * ```
 */
export const verifySection: BenchSection = {
  id: 'verify',
  title: 'Message verifications per second, by secp256k1 backend, vs the native addon',
  async run() {
    const inputs = workload();
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    // The backend the default configuration really picks (creating the auth does no key work).
    const defaultBackend = createEvrmoreAuth({
      domain: 'example.com',
      production: false,
      logger: quiet,
    }).config.backend;
    const verifiers: { name: string; verify: Verifier }[] = [
      ...[nobleBackend, tinySecp256k1Backend, nativeBackend].map((b) => ({
        name: `verifyMessage, ${b.name}`,
        verify: ours(b),
      })),
      {
        name: `verifyMessage, default server config (${defaultBackend.name})`,
        verify: ours(defaultBackend),
      },
      {
        name: 'bitcoinjs-message on the secp256k1 native addon (baseline)',
        verify: nativeReference(),
      },
    ];
    for (const v of verifiers) measure(v.verify, inputs, WARMUP_MS);
    const samples = verifiers.map((): number[] => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < verifiers.length; k++) {
        const i = (round + k) % verifiers.length;
        samples[i]!.push(measure(verifiers[i]!.verify, inputs, ROUND_MS));
      }
    }
    const native = median(samples[verifiers.length - 1]!);
    return {
      rows: verifiers.map((v, i) => {
        const xs = samples[i]!;
        const m = median(xs);
        return {
          verifier: v.name,
          'verify/s (median)': Math.round(m),
          min: Math.round(Math.min(...xs)),
          max: Math.round(Math.max(...xs)),
          'vs native reference': `${(m / native).toFixed(2)}×`,
        };
      }),
      notes: [
        `${ROUNDS} interleaved rounds of ${ROUND_MS} ms per verifier after ${WARMUP_MS} ms warm-up; ` +
          `inputs: the ${inputs.length} oracle vectors. Each is a full verification: address decode, ` +
          'message digest, public-key recovery, hash160 compare. The baseline is bitcoinjs-message ' +
          '(Evrmore prefix) on the secp256k1 native addon (libsecp256k1) with Node crypto hashing. ' +
          '"default server config" is the backend createEvrmoreAuth picks when its config names none ' +
          '(the secp256k1 addon when it loads, else @noble/secp256k1): ≈ 1.0× when the addon is installed.',
      ],
    };
  },
};
