// The bench server (a child process of `pnpm bench`): Hono and Express apps on loopback, each with
//   /auth/*        the evrmore-auth routes (token cache on),
//   GET /ping      a cheap route (event-loop latency probe),
//   GET /bare      the same JSON as /me (a wallet address) without authentication,
//   POST /floor    (Hono) an auth-shaped request with no auth work: reads the JSON body from the
//                  Node request as the adapter does, answers 200 JSON with the auth routes'
//                  response headers (the transport floor of a sign-in request),
//   GET /noop      the same route behind a middleware that does no auth work (sets a fixed
//                  identity, calls next): the framework's own cost of one more middleware,
//   GET /me        the same route behind requireAuth (token cache on, default),
//   GET /me-nocache  behind requireAuth of an instance with `tokenCache: false`.
// and a bare node:http server answering every POST like /floor (the floor without a framework).
// Both instances share one memory store and one signing key, so a token works on every route.
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import {
  evrmore,
  nobleBackend,
  privateKeyToAddress,
  type Secp256k1Backend,
} from '@evrmore-auth/core';
import { createEvrmoreAuth, createMemoryStore, type EvrmoreAuthConfig } from '@evrmore-auth/server';
// Internal (not the package's public API), from the source.
import { applySecurityHeaders } from '../../../packages/server/src/http/reply.js';
import { createServer, type IncomingMessage } from 'node:http';
import * as expressAdapter from '@evrmore-auth/server/express';
import * as honoAdapter from '@evrmore-auth/server/hono';
import { createWebSocketAuth, selectProtocol } from '@evrmore-auth/server/ws';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import express from 'express';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { ServeOptions } from './server.js';
import { DOMAIN, WALLET_KEYS } from './server.js';

const options = JSON.parse(process.env.BENCH_SERVE ?? '{}') as ServeOptions;

async function backendOf(name: ServeOptions['backend']): Promise<Secp256k1Backend> {
  if (name === 'native') return (await import('@evrmore-auth/core/backends/native')).nativeBackend;
  if (name === 'tiny-secp256k1')
    return (await import('@evrmore-auth/core/backends/tiny-secp256k1')).tinySecp256k1Backend;
  return nobleBackend;
}

const { privateKey } = generateKeyPairSync('ed25519');
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const store = createMemoryStore();
const base: EvrmoreAuthConfig = {
  domain: DOMAIN,
  production: false,
  keys: [{ kid: 'bench', alg: 'EdDSA', privateKey: pem }],
  store,
  backend: await backendOf(options.backend),
  // One client IP makes every request: per-IP limits would answer 429 (they have their own tests).
  rateLimits: { enabled: false },
  // BENCH_SESSION_POLICY='{"maxSessionsPerAddress":3,"idleTimeoutSeconds":30}': the auth-route
  // section with a session policy (activity recorded by authenticate).
  ...(process.env.BENCH_SESSION_POLICY
    ? {
        sessionPolicy: JSON.parse(
          process.env.BENCH_SESSION_POLICY,
        ) as EvrmoreAuthConfig['sessionPolicy'],
      }
    : {}),
};
const cached = createEvrmoreAuth(base);
const uncached = createEvrmoreAuth({ ...base, tokenCache: false });
await Promise.all([cached.ready(), uncached.ready()]);

const hono = new Hono();
hono.use('*', honoAdapter.evrmoreAuth(cached));
hono.get('/ping', (c) => c.text('ok'));
/** What /bare answers: the body /me answers for the bench's signed-in wallet. */
const bareAddress = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
hono.get('/bare', (c) => c.json({ address: bareAddress }));
const security = new Headers();
applySecurityHeaders(security, false);
const floorHeaders: Record<string, string> = {
  ...Object.fromEntries(security),
  vary: 'Origin',
  'access-control-allow-origin': `https://${DOMAIN}`,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'retry-after, x-request-id',
  'content-type': 'application/json; charset=utf-8',
};
/** Read the body the way the adapters do (data/end listeners, not an async iterator). */
function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}
/** The floor's answer: a small JSON object from the parsed body, with the auth routes' headers. */
function floorReply(raw: Buffer): { body: string; headers: Record<string, string> } {
  const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  return {
    body: JSON.stringify({ fields: Object.keys(body).length }),
    headers: { ...floorHeaders, 'x-request-id': String(Math.random()).slice(2, 18) },
  };
}
hono.post('/floor', async (c) => {
  const { body, headers } = floorReply(
    await readBody((c.env as { incoming: IncomingMessage }).incoming),
  );
  return new Response(body, { status: 200, headers });
});
/** The identity the no-op middleware sets (what /me's handler reads). */
const fixedIdentity = { address: bareAddress };
hono.get(
  '/noop',
  async (c, next) => {
    c.set('auth' as never, fixedIdentity as never);
    await next();
  },
  (c) => c.json({ address: (c.get('auth' as never) as typeof fixedIdentity).address }),
);
hono.get('/me', honoAdapter.requireAuth(cached), (c) => c.json({ address: c.get('auth').address }));
hono.get('/me-nocache', honoAdapter.requireAuth(uncached), (c) =>
  c.json({ address: c.get('auth').address }),
);

const app = express();
app.use(expressAdapter.evrmoreAuth(cached));
app.get('/ping', (_req, res) => {
  res.send('ok');
});
app.get('/bare', (_req, res) => {
  res.json({ address: bareAddress });
});
app.get(
  '/noop',
  (req, _res, next) => {
    req.auth = fixedIdentity as typeof req.auth;
    next();
  },
  (req, res) => {
    res.json({ address: req.auth!.address });
  },
);
app.get('/me', expressAdapter.requireAuth(cached), (req, res) => {
  res.json({ address: req.auth!.address });
});
app.get('/me-nocache', expressAdapter.requireAuth(uncached), (req, res) => {
  res.json({ address: req.auth!.address });
});

const honoServer = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => honoServer.once('listening', () => resolve()));
const expressServer = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => expressServer.once('listening', () => resolve()));
// The same floor answered by node:http alone (no framework): what any Node server pays.
const nodeServer = createServer((req, res) => {
  readBody(req).then(
    (raw) => {
      const { body, headers } = floorReply(raw);
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
    () => res.destroy(),
  );
}).listen(0, '127.0.0.1');
await new Promise<void>((resolve) => nodeServer.once('listening', () => resolve()));
// WebSockets on the node:http server (`pnpm bench ws-messages`): /ws-auth through
// @evrmore-auth/server/ws (every message checked: token expiry + session read, as authenticate),
// /ws-bare the same echo on a plain `ws` socket. Both echo each message as it came, one promise
// turn after it arrived: the checked path waits for the session read (a promise), and an echo
// written at once would lose the batching of writes that the wait gives (measured: the plain
// echo written synchronously runs ~0.6× as fast, which would flatter the authenticated row).
const sockets = createWebSocketAuth(cached, { maxPerSession: 64, maxPerAddress: 64 });
const wssAuth = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
const wssBare = new WebSocketServer({ noServer: true });
const authUpgrade = sockets.upgrade(wssAuth, {
  onMessage: (socket, data) => socket.send(data as Buffer),
});
nodeServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  if (req.url === '/ws-auth') authUpgrade(req, socket, head);
  else
    wssBare.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => void Promise.resolve().then(() => ws.send(data as Buffer)));
    });
});

process.send!({
  hono: (honoServer.address() as AddressInfo).port,
  express: (expressServer.address() as AddressInfo).port,
  node: (nodeServer.address() as AddressInfo).port,
});
// `{ elu: true }` → the event-loop utilisation since the previous ask; `{ cpu: true }` → this
// process's CPU time (user + system, µs) since the previous ask (bench diagnostics).
let lastElu = performance.eventLoopUtilization();
let lastCpu = process.cpuUsage();
process.on('message', (m: { elu?: boolean; cpu?: boolean }) => {
  if (m?.cpu) {
    const used = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    process.send!({ cpu: used.user + used.system });
    return;
  }
  if (!m?.elu) return;
  const now = performance.eventLoopUtilization();
  process.send!({ elu: performance.eventLoopUtilization(now, lastElu).utilization });
  lastElu = now;
});
process.on('SIGTERM', () => process.exit(0));
