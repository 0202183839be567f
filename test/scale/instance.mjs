// One server instance for the scale tests, run as a child process: the BUILT packages
// (@evrmore-auth/server and its /redis or /postgres store) on @hono/node-server, loopback only.
// Every instance gets the same signing key (AUTH_JWK) and the same store (STORE + its URL), so
// they behave as one service behind a load balancer. Prints `READY <port>` once listening.
import { serve } from '@hono/node-server';
import { createEvrmoreAuth } from '@evrmore-auth/server';

const env = process.env;
const port = Number(env.PORT);
const origin = env.ORIGIN;

async function makeStore() {
  if (env.STORE === 'redis') {
    const { createRedisStore } = await import('@evrmore-auth/server/redis');
    return createRedisStore({ url: env.REDIS_URL, keyPrefix: env.KEY_PREFIX });
  }
  if (env.STORE === 'postgres') {
    const { createPostgresStore } = await import('@evrmore-auth/server/postgres');
    const store = createPostgresStore({
      connectionString: env.DATABASE_URL,
      schema: env.PG_SCHEMA,
    });
    await store.migrate(); // idempotent and serialized across instances
    return store;
  }
  throw new Error(`unknown STORE ${env.STORE}`);
}

const store = await makeStore();
// Generous limits: every test client shares 127.0.0.1, and the tests count replays, not limits.
const many = { points: 100_000, duration: 60 };
const auth = createEvrmoreAuth({
  domain: new URL(origin).host,
  uri: origin,
  allowedOrigins: [origin],
  production: true,
  keys: [JSON.parse(env.AUTH_JWK)].map((jwk) => ({ kid: jwk.kid, alg: 'EdDSA', privateKey: jwk })),
  store,
  refreshGraceSeconds: Number(env.GRACE_SECONDS ?? 10),
  ...(env.MFA_KEY ? { mfa: { encryptionKeys: [{ id: 'scale', key: env.MFA_KEY }] } } : {}),
  rateLimits: {
    challenge: { perIp: many, perIpAddress: many },
    verify: { perIp: many, perIpAddress: many },
    refresh: { perIp: many },
    mfa: { perIp: many, perAddress: many },
    newSessions: { perIp: many },
  },
});

const server = serve(
  {
    // The peer address (production refuses requests whose client IP it cannot know).
    fetch: (request, env) => auth.handler(request, { ip: env.incoming.socket.remoteAddress }),
    port,
    hostname: '127.0.0.1',
  },
  () => {
    process.stdout.write(`READY ${port}\n`);
  },
);

const shutdown = () => {
  server.closeAllConnections?.();
  server.close(() => {
    void Promise.resolve(store.close?.()).finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
