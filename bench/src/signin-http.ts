// HTTP sign-in throughput (POST /auth/challenge + POST /auth/verify with signatures made ahead of
// time, autocannon on loopback, server in a child process) as a ratio to the crypto alone
// (verifyMessage + access-token signing in a loop), both with the native backend, same run.
import { performance } from 'node:perf_hooks';
import { evrmore, privateKeyToAddress, verifyMessage } from '@evrmore-auth/core';
import { nativeBackend } from '@evrmore-auth/core/backends/native';
// Internals (not the package's public API), from the source.
import { webRandomBytes } from '../../packages/server/src/crypto.js';
import { loadKeys } from '../../packages/server/src/keys.js';
import { issueAccessToken } from '../../packages/server/src/tokens.js';
import autocannon, { type AutocannonOptions } from 'autocannon';
import { generateKeyPairSync } from 'node:crypto';
import { POST_HEADERS, presign, startServer, WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
/** Sign-ins per HTTP round (each: one challenge request and one verify request). */
const SIGNINS = 1500;
const CONNECTIONS = 16;
const CRYPTO_MS = 1000;

/**
 * Run an autocannon `amount` load and time it to its last response (autocannon ends such a run
 * only on its next sampling tick, 50 ms here instead of its default 1 s, which also bounds the
 * idle tail in the server's event-loop figure); responses per second. Throws on any non-2xx or
 * error.
 */
async function timedAmount(options: AutocannonOptions & { amount: number }): Promise<number> {
  let responses = 0;
  const start = performance.now();
  let end = start;
  const run = autocannon({ sampleInt: 50, ...options });
  run.on('response', () => {
    responses++;
    end = performance.now();
  });
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || responses !== options.amount)
    throw new Error(
      `load on ${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${responses} responses`,
    );
  return (responses * 1000) / (end - start);
}

/**
 * Run `bodies` as sign-ins (challenge + verify pairs) through autocannon; sign-ins per second.
 *
 * @example
 * ```ts
 * const perSecond = await httpSignIns(server.hono, addresses, bodies);
 * ```
 */
export async function httpSignIns(
  base: string,
  addresses: string[],
  bodies: string[],
  connections = CONNECTIONS,
): Promise<number> {
  let next = 0;
  const perSecond = await timedAmount({
    url: base,
    connections,
    amount: bodies.length * 2,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/auth/challenge',
        headers: POST_HEADERS,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ address: addresses[next % addresses.length] }),
        }),
      },
      {
        method: 'POST',
        path: '/auth/verify',
        headers: POST_HEADERS,
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  return perSecond / 2;
}

/**
 * Pairs of `POST /floor` per second: two requests shaped like a sign-in's (JSON bodies, the auth
 * routes' response headers) with no auth work, the transport floor; `base` is the Hono server or
 * the bare node:http one.
 */
async function httpFloor(base: string, body: string, pairs: number): Promise<number> {
  const perSecond = await timedAmount({
    url: `${base}/floor`,
    connections: CONNECTIONS,
    amount: pairs * 2,
    timeout: 30,
    method: 'POST',
    headers: POST_HEADERS,
    body,
  });
  return perSecond / 2;
}

export const signInHttpSection: BenchSection = {
  id: 'signin-http',
  title: 'HTTP sign-in throughput vs the crypto alone (native backend)',
  async run() {
    const server = await startServer({ backend: 'native' });
    try {
      const addresses = WALLET_KEYS.map((k) => privateKeyToAddress(k, { network: evrmore }));
      const warm = await presign(server.hono, addresses, 300);
      const rounds: string[][] = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await presign(server.hono, addresses, SIGNINS));

      // crypto-only: the same messages, verifyMessage (native) + sign an access token (EdDSA).
      const pem = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      const [key] = await loadKeys([{ kid: 'bench', alg: 'EdDSA', privateKey: pem }]);
      const inputs = rounds[0]!.map((b) => JSON.parse(b) as { message: string; signature: string });
      const cryptoOnly = async (ms: number): Promise<number> => {
        let count = 0;
        const start = performance.now();
        while (performance.now() - start < ms) {
          const input = inputs[count % inputs.length]!;
          const address = addresses[count % addresses.length]!;
          const r = verifyMessage({ ...input, address, network: evrmore, backend: nativeBackend });
          if (!r.valid) throw new Error('bench input did not verify');
          await issueAccessToken({
            key: key!,
            issuer: 'https://app.example.com',
            audience: 'https://app.example.com',
            address,
            sessionId: 'AAAAAAAAAAAAAAAAAAAAAA',
            fingerprintHash: 'x'.repeat(43),
            ttlSeconds: 900,
            now: Date.now(),
            randomBytes: webRandomBytes,
          });
          count++;
        }
        return (count * 1000) / (performance.now() - start);
      };

      await cryptoOnly(300);
      await httpSignIns(server.hono, addresses, warm);
      await httpFloor(server.hono, warm[0]!, 1000);
      await httpFloor(server.node, warm[0]!, 1000);
      const http: number[] = [];
      const crypto: number[] = [];
      const floor: number[] = [];
      const nodeFloor: number[] = [];
      const busy: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        crypto.push(await cryptoOnly(CRYPTO_MS));
        await server.elu();
        http.push(await httpSignIns(server.hono, addresses, rounds[r]!));
        busy.push(await server.elu());
        floor.push(await httpFloor(server.hono, rounds[r]![0]!, SIGNINS * 2));
        nodeFloor.push(await httpFloor(server.node, rounds[r]![0]!, SIGNINS * 2));
      }
      const h = median(http);
      const c = median(crypto);
      const f = median(floor);
      const n = median(nodeFloor);
      return {
        rows: [
          {
            measure: 'crypto only (verifyMessage + sign access token)',
            'sign-ins/s (median)': Math.round(c),
            'vs crypto only': '1.00×',
          },
          {
            measure: `HTTP challenge + verify (Hono, ${CONNECTIONS} connections)`,
            'sign-ins/s (median)': Math.round(h),
            'vs crypto only': ratio(h, c),
          },
          {
            measure: 'for scale: two sign-in-shaped POSTs (Hono /floor), no auth work',
            'sign-ins/s (median)': Math.round(f),
            'vs crypto only': ratio(f, c),
          },
          {
            measure: 'for scale: the same two POSTs on bare node:http, no framework',
            'sign-ins/s (median)': Math.round(n),
            'vs crypto only': ratio(n, c),
          },
        ],
        notes: [
          `${ROUNDS} interleaved rounds: ${CRYPTO_MS} ms of crypto in this process, then ${SIGNINS} sign-ins ` +
            `(${SIGNINS * 2} requests) by autocannon against a child-process server (memory store, rate limits ` +
            `off: one client IP). Signatures made ahead of time for challenges the server issued.`,
          `Server event loop busy during the sign-in rounds: ${Math.round(median(busy) * 100)}% ` +
            '(median; JWT signing runs on its thread pool). Per sign-in the server spends ' +
            `${Math.round(1e6 / h)} µs, the crypto alone ${Math.round(1e6 / c)} µs and two sign-in-shaped ` +
            `HTTP requests without auth work ${Math.round(1e6 / f)} µs through Hono and ${Math.round(1e6 / n)} µs ` +
            `on bare node:http. With no auth work at all, a sign-in could reach at most ` +
            `${ratio(1e6 / c, 1e6 / c + 1e6 / f)} of the crypto-only rate through Hono and ` +
            `${ratio(1e6 / c, 1e6 / c + 1e6 / n)} on bare node:http.`,
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
