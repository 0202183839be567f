// Messages per second through an authenticated WebSocket (@evrmore-auth/server/ws: every message
// checked, token expiry and the session read from the store as `authenticate` does) vs the same
// echo on a plain `ws` socket, in the same run. Server in a child process (src/lib/serve.ts);
// clients here, `ws` package. Each client keeps WINDOW messages in flight and sends one more per
// echo; ROUNDS interleaved rounds, medians; beside it the server's CPU µs per message.
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import { WebSocket } from 'ws';
import { signInHeaders, startServer, WALLET_KEYS, type BenchServer } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
const MS = 1500;
const SOCKETS = 4;
const WINDOW = 32;
const PAYLOAD = JSON.stringify({ type: 'tick', value: 'x'.repeat(64) });

interface Sample {
  perSecond: number;
  /** Server CPU µs per message. */
  cpu: number;
}

async function openSocket(url: string, protocols: string[], cookie: string): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, { headers: { cookie } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url}: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

/** Pump echoes on `sockets` for MS ms; messages echoed per second and server CPU per message. */
async function pump(server: BenchServer, sockets: WebSocket[]): Promise<Sample> {
  let count = 0;
  let running = true;
  await server.cpu();
  const started = performance.now();
  const done = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        let inFlight = 0;
        const onMessage = (): void => {
          count++;
          inFlight--;
          if (running) {
            inFlight++;
            ws.send(PAYLOAD);
          } else if (inFlight === 0) {
            ws.off('message', onMessage);
            resolve();
          }
        };
        ws.on('message', onMessage);
        for (let i = 0; i < WINDOW; i++) {
          inFlight++;
          ws.send(PAYLOAD);
        }
      }),
  );
  await new Promise((r) => setTimeout(r, MS));
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const counted = count;
  await Promise.all(done);
  const cpu = await server.cpu();
  return { perSecond: counted / elapsed, cpu: cpu / count };
}

/**
 * Authenticated vs plain WebSocket echo, ROUNDS interleaved rounds (the order alternates), medians.
 *
 * @example
 * ```ts
 * const { rows } = await wsMessagesSection.run();
 * ```
 */
export const wsMessagesSection: BenchSection = {
  id: 'ws-messages',
  title: 'Messages per second through an authenticated WebSocket vs a plain one',
  async run() {
    const server = await startServer({ backend: 'native' });
    const all: WebSocket[] = [];
    try {
      const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
      const headers = await signInHeaders(server.hono, address);
      const token = headers.authorization!.slice('Bearer '.length);
      const base = server.node.replace('http:', 'ws:');
      const open = (path: string, protocols: string[]) =>
        Promise.all(
          Array.from({ length: SOCKETS }, () =>
            openSocket(`${base}${path}`, protocols, headers.cookie!),
          ),
        );
      const authed = await open('/ws-auth', ['evrmore-auth', `evrmore-auth.token.${token}`]);
      const bare = await open('/ws-bare', []);
      all.push(...authed, ...bare);
      await pump(server, authed); // warm-up
      await pump(server, bare);
      const a: Sample[] = [];
      const b: Sample[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          a.push(await pump(server, authed));
          b.push(await pump(server, bare));
        } else {
          b.push(await pump(server, bare));
          a.push(await pump(server, authed));
        }
      }
      const authRate = median(a.map((s) => s.perSecond));
      const bareRate = median(b.map((s) => s.perSecond));
      const authCpu = median(a.map((s) => s.cpu));
      const bareCpu = median(b.map((s) => s.cpu));
      return {
        rows: [
          {
            socket: 'plain ws (baseline)',
            'msg/s': Math.round(bareRate),
            'server CPU µs/msg': Number(bareCpu.toFixed(2)),
            ratio: '1.00×',
            'CPU ratio': '1.00×',
          },
          {
            socket: 'authenticated (@evrmore-auth/server/ws)',
            'msg/s': Math.round(authRate),
            'server CPU µs/msg': Number(authCpu.toFixed(2)),
            ratio: ratio(authRate, bareRate),
            'CPU ratio': ratio(bareCpu, authCpu),
          },
        ],
        notes: [
          `${SOCKETS} sockets per variant, ${WINDOW} messages in flight each, ${PAYLOAD.length}-byte text messages echoed; ${ROUNDS} interleaved rounds of ${MS} ms, medians. Memory store, token cache on, sessionCheck exact (a store read per message). Both echoes answer one promise turn after the message (the checked path waits for the session read; a synchronous plain echo loses write batching and would flatter the ratio). Goal: ratio ≥ 0.9. CPU ratio = baseline CPU per message / authenticated CPU per message (the cost on a server with a core to itself).`,
        ],
      };
    } finally {
      for (const ws of all) ws.terminate();
      await server.stop();
    }
  },
};
