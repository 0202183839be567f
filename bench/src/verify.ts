// Message verifications per second for each secp256k1 backend of @evrmore-auth/core, with the
// ratio to the `secp256k1` native addon measured in the same run.
import { readFileSync } from 'node:fs';
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

/** Interleaved rounds per backend; each figure is the median over them. */
const ROUNDS = 7;
/** Time each backend gets per round. 3 backends × 7 rounds × 0.5 s ≈ 11 s. */
const ROUND_MS = 500;
const WARMUP_MS = 300;

interface OracleVector {
  network: string;
  address: string;
  message: string;
  signature: string;
}

/** Real inputs: the oracle-generated vectors (mixed networks, key forms and message lengths). */
function workload(): Omit<VerifyMessageOptions, 'backend'>[] {
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

/** Verifications per second of `backend` over `inputs` for about `ms` milliseconds. */
function measure(
  backend: Secp256k1Backend,
  inputs: Omit<VerifyMessageOptions, 'backend'>[],
  ms: number,
): number {
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) {
      const input = inputs[count % inputs.length]!;
      if (!verifyMessage({ ...input, backend }).valid)
        throw new Error('bench input did not verify');
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
 * Verify/sec for noble, tiny-secp256k1 and native: warm-up, then ROUNDS rounds in which every
 * backend runs once (the order rotates each round), median per backend, ratio to native.
 *
 * @example
 * ```ts
 * const { rows } = await verifySection.run();
 * ```
 */
export const verifySection: BenchSection = {
  id: 'verify',
  title: 'verifyMessage per second, by secp256k1 backend',
  async run() {
    const inputs = workload();
    const backends = [nobleBackend, tinySecp256k1Backend, nativeBackend];
    for (const b of backends) measure(b, inputs, WARMUP_MS);
    const samples = new Map<Secp256k1Backend, number[]>(backends.map((b) => [b, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < backends.length; k++) {
        const b = backends[(round + k) % backends.length]!;
        samples.get(b)!.push(measure(b, inputs, ROUND_MS));
      }
    }
    const native = median(samples.get(nativeBackend)!);
    return {
      rows: backends.map((b) => {
        const xs = samples.get(b)!;
        const m = median(xs);
        return {
          backend: b.name,
          'verify/s (median)': Math.round(m),
          min: Math.round(Math.min(...xs)),
          max: Math.round(Math.max(...xs)),
          'vs native': `${(m / native).toFixed(2)}×`,
        };
      }),
      notes: [
        `${ROUNDS} interleaved rounds of ${ROUND_MS} ms per backend after ${WARMUP_MS} ms warm-up; ` +
          `inputs: the ${inputs.length} oracle vectors (full verifyMessage: address decode, digest, recovery, hash160).`,
      ],
    };
  },
};
