// An authenticated route's req/s as a ratio to the same route without authentication, through the
// Hono and Express adapters, token cache on (default) and off. Server in a child process. Beside
// each req/s, the server process's CPU time per request (µs): on a machine shared with other work
// req/s moves with the load, CPU per request much less, and its ratio is the req/s ratio a server
// with a core to itself would show.
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import autocannon from 'autocannon';
import { signInHeaders, startServer, WALLET_KEYS, type BenchServer } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
const SECONDS = 1.5;
const CONNECTIONS = 16;

interface Sample {
  rps: number;
  /** Server CPU µs per request. */
  cpu: number;
}

async function measure(
  server: BenchServer,
  url: string,
  headers: Record<string, string>,
  duration: number,
): Promise<Sample> {
  await server.cpu();
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  const cpu = await server.cpu();
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  // autocannon stops on its next 1-second tick after `duration`: divide by the time it ran.
  return { rps: r['2xx'] / r.duration, cpu: cpu / r['2xx'] };
}

/**
 * Hono and Express: bare route, authenticated with the token cache on, and off; ROUNDS
 * interleaved rounds (the order rotates), medians.
 *
 * @example
 * ```ts
 * const { rows } = await authRouteSection.run();
 * ```
 */
export const authRouteSection: BenchSection = {
  id: 'auth-route',
  title: 'Authenticated route req/s vs the same route without auth',
  async run() {
    const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
    const rows = [];
    // Each adapter in a server process of its own, as an app runs one framework: measured one
    // after the other in one process, the second adapter's ratio came out lower (Express 0.81×
    // after Hono, 0.89× first), the shared code's JIT state shaped by the first.
    for (const adapter of ['Hono', 'Express'] as const) {
      const server = await startServer({ backend: 'native' });
      try {
        const base = adapter === 'Hono' ? server.hono : server.express;
        const auth = await signInHeaders(base, address);
        const variants = [
          // The same request (bearer and cookie headers sent, unread) and the same JSON answer.
          { name: 'bare', url: `${base}/bare`, headers: auth },
          { name: 'no-op middleware', url: `${base}/noop`, headers: auth },
          { name: 'cache on', url: `${base}/me`, headers: auth },
          { name: 'cache off', url: `${base}/me-nocache`, headers: auth },
        ];
        for (const v of variants) await measure(server, v.url, v.headers, 0.5);
        const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
        for (let r = 0; r < ROUNDS; r++) {
          for (let k = 0; k < variants.length; k++) {
            const v = variants[(r + k) % variants.length]!;
            samples.get(v.name)!.push(await measure(server, v.url, v.headers, SECONDS));
          }
        }
        /** The lowest and highest of the rounds' own ratios (a round's variant over its bare):
         *  how far one round can stray, beside the ratio of the medians. */
        const roundRange = (name: string): string => {
          const bares = samples.get('bare')!;
          const xs = samples.get(name)!.map((s, r) => s.rps / bares[r]!.rps);
          return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
        };
        const rps = (name: string): number => median(samples.get(name)!.map((s) => s.rps));
        const cpu = (name: string): number => median(samples.get(name)!.map((s) => s.cpu));
        const [bare, noop, on, off] = [
          rps('bare'),
          rps('no-op middleware'),
          rps('cache on'),
          rps('cache off'),
        ];
        rows.push({
          adapter,
          'bare req/s': Math.round(bare),
          'no-op middleware vs bare': ratio(noop, bare),
          'auth, cache on req/s': Math.round(on),
          'cache on vs bare': ratio(on, bare),
          'cache on vs bare, per round': roundRange('cache on'),
          'auth, cache off req/s': Math.round(off),
          'cache off vs bare': ratio(off, bare),
          'server CPU µs/req: bare, no-op, cache on': `${cpu('bare').toFixed(1)}, ${cpu('no-op middleware').toFixed(1)}, ${cpu('cache on').toFixed(1)}`,
          'cache on vs bare (CPU)': ratio(cpu('bare'), cpu('cache on')),
        });
      } finally {
        await server.stop();
      }
    }
    return {
      rows,
      notes: [
        `autocannon, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per variant ` +
          '(medians), each adapter in a fresh server process. Authenticated: bearer JWT (EdDSA) + ' +
          'fingerprint cookie + session read from the memory store on every request (sessionCheck exact, ' +
          'the default). The bare route gets the same request (its headers unread) and answers the same ' +
          'JSON ({ address }) without authentication; the no-op middleware route adds one middleware that ' +
          "sets a fixed identity and calls next (the framework's own cost of one more middleware, the floor " +
          'of any guard written as one). "Per round": the lowest and highest ratio of one round\'s ' +
          "requests to that round's bare requests. Server CPU: the server process's user + system time over the " +
          'requests it answered in the round; "vs bare (CPU)" is bare µs / authenticated µs.',
      ],
    };
  },
};
