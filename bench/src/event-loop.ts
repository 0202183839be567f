// Event-loop blocking: latency of a cheap route (GET /ping) idle and while sign-ins run, per
// secp256k1 backend of the server (server in a child process).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import { presign, startServer, WALLET_KEYS, type ServeOptions } from './lib/server.js';
import { median } from './lib/stats.js';
import type { BenchSection } from './section.js';
import { httpSignIns } from './signin-http.js';

/** Sign-ins of load per backend (bounded: the slow backend takes the longest). */
const LOAD: Record<ServeOptions['backend'], number> = {
  noble: 600,
  'tiny-secp256k1': 1000,
  native: 1500,
};
const IDLE_MS = 1000;
const PROBE_EVERY_MS = 5;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

/** Sequential GET /ping every PROBE_EVERY_MS until `until` settles; latencies in ms. */
async function probe(base: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${base}/ping`);
    await res.text();
    latencies.push(performance.now() - t);
    await sleep(PROBE_EVERY_MS);
  }
  return latencies;
}

export const eventLoopSection: BenchSection = {
  id: 'event-loop',
  title: 'Latency of a cheap route while sign-ins run, by server backend',
  async run() {
    const addresses = WALLET_KEYS.map((k) => privateKeyToAddress(k, { network: evrmore }));
    const rows = [];
    for (const backend of ['noble', 'tiny-secp256k1', 'native'] as const) {
      const server = await startServer({ backend });
      try {
        const bodies = await presign(server.hono, addresses, LOAD[backend]);
        await probe(server.hono, sleep(200)); // warm the connection and the route
        const idle = await probe(server.hono, sleep(IDLE_MS));
        let perSecond = 0;
        const load = httpSignIns(server.hono, addresses, bodies, 8).then((r) => {
          perSecond = r;
        });
        const busy = await probe(server.hono, load);
        await load;
        rows.push({
          backend,
          'idle p50 ms': Number(median(idle).toFixed(2)),
          'idle p99 ms': Number(percentile(idle, 99).toFixed(2)),
          'under sign-ins p50 ms': Number(median(busy).toFixed(2)),
          'under sign-ins p99 ms': Number(percentile(busy, 99).toFixed(2)),
          'sign-ins/s': Math.round(perSecond),
        });
      } finally {
        await server.stop();
      }
    }
    return {
      rows,
      notes: [
        `GET /ping sent one at a time every ${PROBE_EVERY_MS} ms: ${IDLE_MS} ms idle, then while autocannon ` +
          `(8 connections) runs ${Object.values(LOAD).join('/')} sign-ins (noble/tiny/native). Verification is ` +
          'synchronous, so one verify is the longest a request waits behind it.',
      ],
    };
  },
};
