// The abuse suites' world: the real server (built packages, production mode, the Hono adapter on
// @hono/node-server, a real store) on 127.0.0.1, and clients that connect from a chosen loopback
// address: the victim from 127.0.0.1, the attacker from 127.0.0.2. Nothing is mocked between
// them: the server learns who is who from the TCP peer, as it would in production.
import { generateKeyPairSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { generatePrivateKey, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import {
  createEvrmoreAuth,
  createMemoryStore,
  type AuthEvent,
  type AuthStore,
  type EvrmoreAuth,
  type EvrmoreAuthConfig,
  type MemoryStore,
} from '@evrmore-auth/server';
import { evrmoreAuth } from '@evrmore-auth/server/hono';
import { createPostgresStore } from '@evrmore-auth/server/postgres';
import { createRedisStore } from '@evrmore-auth/server/redis';
import { Hono } from 'hono';
import { afterAll } from 'vitest';
import {
  cleanupRedisPrefix,
  DATABASE_URL,
  describeWithServices,
  dropSchema,
  REDIS_URL,
  testKeyPrefix,
  testSchema,
  type Service,
} from '../helpers/services.js';

export const VICTIM_IP = '127.0.0.1';
export const ATTACKER_IP = '127.0.0.2';
export const DOMAIN = 'abuse.example';
export const ORIGIN = `https://${DOMAIN}`;

/** The stores every abuse suite runs against. */
export const STORES = ['memory', 'redis', 'postgres'] as const;
export type StoreKind = (typeof STORES)[number];

/** The services a store kind needs. */
function needs(kind: StoreKind): Service[] {
  return kind === 'memory' ? [] : [kind];
}

/**
 * Registers the suite `body` once per store kind, titled `abuse: {title} ({kind})`; a kind whose
 * service is missing is skipped (or fails, under CI=true).
 */
export async function onEveryStore(title: string, body: (kind: StoreKind) => void): Promise<void> {
  for (const kind of STORES)
    await describeWithServices(needs(kind), `abuse: ${title} (${kind})`, () => body(kind));
}

/** A store made for one suite: the memory store itself when it is one, its Redis key prefix or
 *  Postgres schema, and how to remove it. */
export interface MadeStore {
  store: AuthStore;
  memory?: MemoryStore;
  prefix: string;
  cleanup(): Promise<void>;
}

/** A store of `kind`, on its own Redis key prefix or Postgres schema. */
async function makeStore(
  kind: StoreKind,
  memory: Parameters<typeof createMemoryStore>[0] = {},
): Promise<MadeStore> {
  if (kind === 'memory') {
    const store = createMemoryStore(memory);
    return {
      store,
      memory: store,
      prefix: '',
      cleanup: () => store.close?.() ?? Promise.resolve(),
    };
  }
  if (kind === 'redis') {
    const prefix = testKeyPrefix('abuse');
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
    return {
      store,
      prefix,
      cleanup: async () => {
        await store.close();
        await cleanupRedisPrefix(prefix);
      },
    };
  }
  const schema = testSchema('abuse');
  const store = createPostgresStore({ connectionString: DATABASE_URL, schema });
  await store.migrate();
  return {
    store,
    prefix: schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** A running server. */
export interface AbuseServer {
  url: string;
  auth: EvrmoreAuth;
  events: AuthEvent[];
  errors: unknown[][];
  close(): Promise<void>;
}

/** One production Ed25519 key. */
function productionKey(): NonNullable<EvrmoreAuthConfig['keys']>[number] {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    kid: 'abuse-1',
    alg: 'EdDSA',
    privateKey: privateKey.export({ format: 'jwk' }) as never,
  };
}

/**
 * Start the server: production mode, configured keys, the given store, the Hono adapter (which
 * passes the TCP peer address), listening on 127.0.0.1 only.
 */
async function startServer(
  store: AuthStore,
  config: Partial<EvrmoreAuthConfig> = {},
  mount: 'hono' | 'fetch-without-ip' = 'hono',
): Promise<AbuseServer> {
  const events: AuthEvent[] = [];
  const errors: unknown[][] = [];
  const auth = createEvrmoreAuth({
    domain: DOMAIN,
    production: true,
    keys: [productionKey()],
    store,
    onEvent: (e) => {
      events.push(e);
    },
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: (...args: unknown[]) => {
        errors.push(args);
      },
    },
    ...config,
  });
  await auth.ready();
  const app = new Hono();
  if (mount === 'hono') app.use(evrmoreAuth(auth));
  // The shape of a fetch-handler snippet that forgets the client IP.
  else app.all('/auth/*', (c) => auth.handler(c.req.raw));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    auth,
    events,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** What {@link serversOn} started: the server and its store. */
export interface Running {
  server: AbuseServer;
  made: MadeStore;
}

/**
 * Within a suite: start servers, each on a fresh store of `kind`; every one is closed (server,
 * then store) after the suite. `wrap` can put a probe around the store the server uses.
 */
export function serversOn(kind: StoreKind) {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  return async (
    options: {
      config?: Partial<EvrmoreAuthConfig>;
      memory?: Parameters<typeof createMemoryStore>[0];
      mount?: 'hono' | 'fetch-without-ip';
      wrap?: (store: AuthStore) => AuthStore;
    } = {},
  ): Promise<Running> => {
    const made = await makeStore(kind, options.memory);
    stops.push(() => made.cleanup());
    const store = options.wrap ? options.wrap(made.store) : made.store;
    const server = await startServer(store, options.config, options.mount);
    stops.push(() => server.close());
    return { server, made };
  };
}

/** An HTTP reply as the tests read it. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** name → value of each set-cookie. */
  cookies: Record<string, string>;
}

/**
 * One request from `from` (a loopback source address) to the server, over real TCP. `cookies` are
 * sent as the browser would.
 */
export function send(
  server: { url: string },
  from: string,
  method: string,
  path: string,
  options: {
    body?: unknown;
    cookies?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  const url = new URL(path, server.url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    'x-requested-with': 'evrmore-auth',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(options.headers ?? {}),
  };
  const cookies = Object.entries(options.cookies ?? {});
  if (cookies.length > 0) headers.cookie = cookies.map(([k, v]) => `${k}=${v}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        headers,
        localAddress: from,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const jar: Record<string, string> = {};
          for (const c of res.headers['set-cookie'] ?? []) {
            const pair = c.split(';')[0]!;
            const eq = pair.indexOf('=');
            jar[pair.slice(0, eq)] = pair.slice(eq + 1);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {},
            cookies: jar,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A wallet: a fresh key and its address (a throw-away key, or the victim's own). */
export interface Wallet {
  privateKey: Uint8Array;
  address: string;
  sign(message: string): string;
}

export function newWallet(): Wallet {
  const privateKey = generatePrivateKey();
  return {
    privateKey,
    address: privateKeyToAddress(privateKey),
    sign: (message) => signMessage({ privateKey, message }),
  };
}

/** A signed-in browser: its cookies and access token. */
export interface Session {
  accessToken: string;
  sessionId: string;
  cookies: Record<string, string>;
}

/** Challenge + verify from `from`, signed by `signer` (the wallet itself unless given). */
export async function signIn(
  server: AbuseServer,
  from: string,
  wallet: Wallet,
  signer: Wallet = wallet,
): Promise<{ challenge: Reply; verify?: Reply; session?: Session }> {
  const challenge = await send(server, from, 'POST', '/auth/challenge', {
    body: { address: wallet.address },
  });
  if (challenge.status !== 201) return { challenge };
  const message = challenge.body.message as string;
  const verify = await send(server, from, 'POST', '/auth/verify', {
    body: { message, signature: signer.sign(message) },
  });
  if (verify.status !== 200 || verify.body.accessToken === undefined) return { challenge, verify };
  return {
    challenge,
    verify,
    session: {
      accessToken: verify.body.accessToken as string,
      sessionId: (verify.body.session as { id: string }).id,
      cookies: verify.cookies,
    },
  };
}

/** POST /auth/logout as the signed-in browser. */
export function signOut(server: AbuseServer, from: string, s: Session): Promise<Reply> {
  return send(server, from, 'POST', '/auth/logout', {
    cookies: s.cookies,
    headers: { authorization: `Bearer ${s.accessToken}` },
  });
}

/** The problem code of a reply. */
export const code = (r: Reply): unknown => r.body.code;
