// An authenticated route's req/s as a ratio to the same route without authentication, through the
// Hono and Express adapters, token cache on (default) and off. Server in a child process.
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import autocannon from 'autocannon';
import { signInHeaders, startServer, WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
const SECONDS = 1.5;
const CONNECTIONS = 16;

async function reqPerSecond(
  url: string,
  headers: Record<string, string>,
  duration: number,
): Promise<number> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  // autocannon stops on its next 1-second tick after `duration`: divide by the time it ran.
  return r['2xx'] / r.duration;
}

export const authRouteSection: BenchSection = {
  id: 'auth-route',
  title: 'Authenticated route req/s vs the same route without auth',
  async run() {
    const server = await startServer({ backend: 'native' });
    try {
      const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
      const auth = await signInHeaders(server.hono, address);
      const rows = [];
      for (const [adapter, base] of [
        ['Hono', server.hono],
        ['Express', server.express],
      ] as const) {
        const variants = [
          // The same request (bearer and cookie headers sent, unread) and the same JSON answer.
          { name: 'bare', url: `${base}/bare`, headers: auth },
          { name: 'cache on', url: `${base}/me`, headers: auth },
          { name: 'cache off', url: `${base}/me-nocache`, headers: auth },
        ];
        for (const v of variants) await reqPerSecond(v.url, v.headers, 0.5);
        const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
        for (let r = 0; r < ROUNDS; r++) {
          for (let k = 0; k < variants.length; k++) {
            const v = variants[(r + k) % variants.length]!;
            samples.get(v.name)!.push(await reqPerSecond(v.url, v.headers, SECONDS));
          }
        }
        const bare = median(samples.get('bare')!);
        const on = median(samples.get('cache on')!);
        const off = median(samples.get('cache off')!);
        rows.push({
          adapter,
          'bare req/s': Math.round(bare),
          'auth, cache on req/s': Math.round(on),
          'cache on vs bare': ratio(on, bare),
          'auth, cache off req/s': Math.round(off),
          'cache off vs bare': ratio(off, bare),
        });
      }
      return {
        rows,
        notes: [
          `autocannon, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per variant ` +
            '(medians). Authenticated: bearer JWT (EdDSA) + fingerprint cookie + session read from the memory ' +
            'store on every request (sessionCheck exact, the default). The bare route gets the same request ' +
            '(its headers unread) and answers the same JSON ({ address }) without authentication.',
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
