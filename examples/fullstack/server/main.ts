// The evrmore-auth full-stack demo: one process that builds the page with Vite, then serves it
// and the API (auth routes + a protected route) with Hono on Node, and a second API on another
// port (another origin) that the page calls with its DPoP-bound token.
//
//   PORT          port on localhost (default 5173); the demo stops with a clear message if taken
//   API_PORT      port of the API on the second origin (default PORT + 1), which accepts only
//                 DPoP-bound tokens (server/api.ts)
//   REDIS_URL     use Redis instead of the in-memory store
//   DATABASE_URL  use Postgres instead of the in-memory store (both: Redis + Postgres)
//   ACCESS_TOKEN_TTL  access-token lifetime in seconds (default 120, short so you can watch it renew)
//   ADMIN_ADDRESSES   comma-separated addresses with the admin role (default: the first address
//                     that signs in after start; everyone else is a viewer)
import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { createMemoryStore } from '@evrmore-auth/server';
import { createApiApp } from './api.js';
import { buildWeb } from './build-web.js';
import { createApp } from './app.js';
import { createDemoAuth } from './auth.js';
import { chooseStore } from './stores.js';

function readPort(raw: string | undefined, fallback: number, name = 'PORT'): number {
  const port = Number(raw ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`${name} must be an integer between 1 and 65535, not "${raw}".`);
    process.exit(1);
  }
  return port;
}

function readTtl(raw: string | undefined): number {
  const ttl = Number(raw ?? 120);
  if (!Number.isInteger(ttl) || ttl < 30 || ttl > 3600) {
    console.error(`ACCESS_TOKEN_TTL must be a whole number of seconds in 30..3600, not "${raw}".`);
    process.exit(1);
  }
  return ttl;
}

/**
 * Fail before the slow build when the port is taken, on IPv4 or IPv6 loopback (a browser may
 * resolve localhost to either, and would reach the other program).
 */
async function ensurePortFree(port: number): Promise<void> {
  for (const host of ['127.0.0.1', '::1']) {
    await new Promise<void>((resolve) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => {
        // No IPv6 on this machine: nothing can be listening there.
        if (host === '::1' && (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT'))
          resolve();
        else portError(port, err);
      });
      probe.listen(port, host, () => probe.close(() => resolve()));
    });
  }
}

function portError(port: number, err: NodeJS.ErrnoException): never {
  if (err.code === 'EADDRINUSE') {
    console.error(
      `\nPort ${port} is already in use. Stop whatever runs there, or pick another port:\n` +
        `  PORT=${port + 1} npx -y pnpm@10.34.9 demo\n`,
    );
  } else {
    console.error(`\nCannot listen on port ${port}: ${err.message}\n`);
  }
  process.exit(1);
}

const HOST = '127.0.0.1';
const port = readPort(process.env.PORT, 5173);
const apiPort = readPort(process.env.API_PORT, port + 1, 'API_PORT');
if (apiPort === port) {
  console.error('API_PORT must differ from PORT (the API is the second origin).');
  process.exit(1);
}
const accessTokenTtl = readTtl(process.env.ACCESS_TOKEN_TTL);
const origin = `http://localhost:${port}`;
const apiOrigin = `http://localhost:${apiPort}`;

await ensurePortFree(port);
await ensurePortFree(apiPort);
console.log('Building the page with Vite…');
await buildWeb(apiOrigin);
const chosen = await chooseStore(process.env);
// One store object for the auth server and the API: with the memory store they share it in this
// process; with Redis or Postgres every instance of either would share the database.
const store = chosen.store ?? createMemoryStore();
const auth = createDemoAuth({
  origin,
  store,
  persistent: chosen.store !== undefined,
  accessTokenTtl,
  adminAddresses: (process.env.ADMIN_ADDRESSES ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== ''),
});
const app = createApp({ auth, origin, apiOrigin });
const apiApp = createApiApp({
  auth,
  store,
  pageOrigin: origin,
  jwksUrl: new URL(`http://${HOST}:${port}/auth/jwks.json`),
});

const server = serve({ fetch: app.fetch, port, hostname: HOST }, () => {
  console.log(`Store: ${chosen.description}`);
  console.log(`\n  evrmore-auth demo running at ${origin}\n`);
  console.log(`  API on a second origin (DPoP-bound tokens only): ${apiOrigin}\n`);
  console.log('  Open it in a browser; press Ctrl+C to stop.\n');
});
server.once('error', (err: NodeJS.ErrnoException) => portError(port, err));
const apiServer = serve({ fetch: apiApp.fetch, port: apiPort, hostname: HOST });
apiServer.once('error', (err: NodeJS.ErrnoException) => portError(apiPort, err));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close();
  apiServer.close();
  void chosen.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
