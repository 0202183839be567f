// The DPoP bench server (a child process of the `dpop` sections): one auth instance with
// `dpop: { mode: 'allowed' }` on the memory store, token cache on (the default), behind Hono:
//   /auth/*   the evrmore-auth routes,
//   GET /me   behind requireAuth: a bearer token with its fingerprint cookie, or a DPoP-bound
//             token with its cookie and a proof, on the same route of the same instance.
// `{ stats: true }` over IPC answers the proof-replay cache's live entries (the memory store's
// `ea:dpop` limiter), the process's RSS and heap, and its CPU time so far (user + system, µs).
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { nativeBackend } from '@evrmore-auth/core/backends/native';
import { createEvrmoreAuth, createMemoryStore, type AuthStore } from '@evrmore-auth/server';
import * as honoAdapter from '@evrmore-auth/server/hono';
import { Hono } from 'hono';
import { DOMAIN } from './lib/server.js';

/** What the parent asks for: the proof window (seconds) of this server. */
export interface DPoPServeOptions {
  proofMaxAgeSeconds: number;
  clockToleranceSeconds: number;
}

const options = JSON.parse(process.env.BENCH_DPOP_SERVE ?? '{}') as DPoPServeOptions;

const { privateKey } = generateKeyPairSync('ed25519');
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const memory = createMemoryStore();
/** The replay cache's limiter, to count its live entries (rate-limiter-flexible's Map). */
let replay: { _memoryStorage?: { _storage?: Map<string, unknown> } } | undefined;
const store: AuthStore = {
  ...memory,
  createRateLimiter(o) {
    const limiter = memory.createRateLimiter(o);
    if (o.keyPrefix === 'ea:dpop') replay = limiter as typeof replay;
    return limiter;
  },
};
const auth = createEvrmoreAuth({
  domain: DOMAIN,
  production: false,
  keys: [{ kid: 'bench', alg: 'EdDSA', privateKey: pem }],
  store,
  backend: nativeBackend,
  rateLimits: { enabled: false },
  clockToleranceSeconds: options.clockToleranceSeconds,
  dpop: {
    mode: 'allowed',
    proofMaxAgeSeconds: options.proofMaxAgeSeconds,
    // Ed25519 too: panva's dpop names Ed25519 proofs by the fully-specified alg `Ed25519`.
    algorithms: ['ES256', 'EdDSA', 'Ed25519'],
  },
});
await auth.ready();

const app = new Hono();
app.use('*', honoAdapter.evrmoreAuth(auth));
app.get('/me', honoAdapter.requireAuth(auth), (c) => c.json({ address: c.get('auth').address }));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
process.send!({ port: (server.address() as AddressInfo).port });

process.on('message', (m: { stats?: boolean }) => {
  if (!m?.stats) return;
  const storage = replay?._memoryStorage?._storage;
  const { rss, heapUsed } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  process.send!({ stats: { entries: storage?.size ?? -1, rss, heapUsed, cpu: user + system } });
});
process.on('SIGTERM', () => process.exit(0));
