// API keys over real HTTP on loopback (issue 19): an application guarded by requireAuth(auth,
// { apiKeys: true, permissions }) through the bare fetch handler, Express, Fastify and Hono; two
// server instances sharing Redis or Postgres (a key made or revoked on one is seen by the other
// at once); the key never in clear in the store's raw data, the events or the captured log; the
// IP allow list and the lock-out of a guessing IP (attacker 127.0.0.2, victim 127.0.0.1); expiry
// with an advanced clock.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyToAddress, signMessage, evrmore } from '@evrmore-auth/core';
import { createEvrmoreAuth, type EvrmoreAuth } from '../../packages/server/src/create-auth.js';
import type { EvrmoreAuthConfig } from '../../packages/server/src/config.js';
import type { AuthEvent } from '../../packages/server/src/events.js';
import type { AuthStore } from '../../packages/server/src/store.js';
import { createMemoryStore } from '../../packages/server/src/stores/memory.js';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import * as ex from '../../packages/server/src/adapters/express.js';
import * as fa from '../../packages/server/src/adapters/fastify.js';
import * as ho from '../../packages/server/src/adapters/hono.js';
import {
  DATABASE_URL,
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  dropSchema,
  testKeyPrefix,
  testSchema,
} from '../helpers/services.js';

type AdapterName = 'fetch' | 'express' | 'fastify' | 'hono';
const ADAPTERS: AdapterName[] = ['fetch', 'express', 'fastify', 'hono'];
const VICTIM = '127.0.0.1';
const ATTACKER = '127.0.0.2';

/** The JSON answers this test reads (problem documents, identities, the /api-keys bodies). */
interface Answer {
  code?: string;
  message: string;
  accessToken: string;
  key: string;
  apiKey: { id: string };
  apiKeys: { id: string; lastUsedAt: string | null }[];
  address?: string;
  keyId?: string | null;
}

interface Running {
  url: string;
  close(): Promise<void>;
}

/** One HTTP request from `localAddress` (the server sees it as the peer). */
function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; from?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Answer;
}> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method ?? 'GET',
        localAddress: init.from ?? VICTIM,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as Answer });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const key = (k: string) => ({ authorization: `ApiKey ${k}` });

function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/**
 * The application: GET /api/reports needs `reports:read`, POST /api/deploys `deploys:write`
 * (both accept API keys), GET /api/me takes a session only; the auth routes under /auth.
 */
async function start(name: AdapterName, auth: EvrmoreAuth): Promise<Running> {
  const who = (id: { address: string; kind?: string; keyId?: string }) => ({
    address: id.address,
    kind: id.kind ?? 'session',
    keyId: id.keyId ?? null,
  });
  const reports = { apiKeys: true, permissions: ['reports:read'] };
  const deploys = { apiKeys: true, permissions: ['deploys:write'] };
  switch (name) {
    case 'fetch': {
      const server = serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: async (req: Request, env: HttpBindings | Http2Bindings) => {
          const ip = env.incoming.socket.remoteAddress ?? null;
          const path = new URL(req.url).pathname;
          const guard = async (options: object) => {
            try {
              return Response.json(who(await auth.authenticate(req, { ...options, ip })));
            } catch (err) {
              return auth.errorResponse(err, req);
            }
          };
          if (path === '/api/reports' && req.method === 'GET') return guard(reports);
          if (path === '/api/deploys' && req.method === 'POST') return guard(deploys);
          if (path === '/api/me') return guard({});
          return auth.handler(req, { ip });
        },
      }) as Server;
      await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      };
    }
    case 'express': {
      const app = express();
      app.use(ex.evrmoreAuth(auth));
      app.get('/api/reports', ex.requireAuth(auth, reports), (req, res) =>
        res.json(who(req.auth!)),
      );
      app.post('/api/deploys', ex.requireAuth(auth, deploys), (req, res) =>
        res.json(who(req.auth!)),
      );
      app.get('/api/me', ex.requireAuth(auth), (req, res) => res.json(who(req.auth!)));
      const { createServer } = await import('node:http');
      return listen(createServer(app));
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fa.evrmoreAuthPlugin, { auth });
      app.get('/api/reports', { preHandler: fa.requireAuth(auth, reports) }, async (r) =>
        who(r.auth!),
      );
      app.post('/api/deploys', { preHandler: fa.requireAuth(auth, deploys) }, async (r) =>
        who(r.auth!),
      );
      app.get('/api/me', { preHandler: fa.requireAuth(auth) }, async (r) => who(r.auth!));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono<{
        Bindings: HttpBindings | Http2Bindings;
        Variables: ho.EvrmoreAuthVariables;
      }>();
      app.use(ho.evrmoreAuth(auth));
      app.get('/api/reports', ho.requireAuth(auth, reports), (c) => c.json(who(c.get('auth'))));
      app.post('/api/deploys', ho.requireAuth(auth, deploys), (c) => c.json(who(c.get('auth'))));
      app.get('/api/me', ho.requireAuth(auth), (c) => c.json(who(c.get('auth'))));
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      };
    }
  }
}

/** Everything a logger was given, as text. */
function capturingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
  };
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}

const ADMIN_KEY = '11'.repeat(32);
const admin = {
  address: privateKeyToAddress(ADMIN_KEY, { network: evrmore }),
  sign: (message: string) => signMessage({ privateKey: ADMIN_KEY, message, network: evrmore }),
};

interface Instance {
  auth: EvrmoreAuth;
  app: Running;
  events: AuthEvent[];
  lines: string[];
}

async function instance(
  name: AdapterName,
  store: AuthStore,
  over: Partial<EvrmoreAuthConfig> = {},
): Promise<Instance> {
  const events: AuthEvent[] = [];
  const { lines, logger } = capturingLogger();
  const auth = createEvrmoreAuth({
    domain: 'app.example.com',
    uri: 'https://app.example.com',
    production: false,
    keys: [{ kid: 'shared', alg: 'HS256', secret: 'k'.repeat(48) } as never],
    store,
    logger,
    onEvent: (e) => void events.push(e),
    apiKeys: { enabled: true, lastUsedIntervalSeconds: 0 },
    // the admin holds the manage permission and what it hands out
    claims: ({ address }) =>
      address === admin.address
        ? { permissions: ['api-keys:manage', 'reports:read', 'deploys:write'] }
        : { permissions: [] },
    ...over,
  });
  await auth.ready();
  return { auth, app: await start(name, auth), events, lines };
}

/** Sign the admin in over HTTP: its bearer and fingerprint cookie headers. */
async function signIn(i: Instance): Promise<Record<string, string>> {
  const ch = await call(`${i.app.url}/auth/challenge`, {
    method: 'POST',
    body: { address: admin.address },
  });
  expect(ch.status).toBe(201);
  const v = await call(`${i.app.url}/auth/verify`, {
    method: 'POST',
    body: { message: ch.body.message, signature: admin.sign(ch.body.message) },
  });
  expect(v.status).toBe(200);
  const fgp = (v.headers['set-cookie'] as string[])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${i.auth.config.cookies.fingerprintName}=`))!;
  return { authorization: `Bearer ${v.body.accessToken}`, cookie: fgp };
}

describe.each(ADAPTERS)('API keys through %s over loopback', (name) => {
  let i: Instance;
  beforeAll(async () => {
    i = await instance(name, createMemoryStore());
  });
  afterAll(async () => {
    await i?.app.close();
  });

  it('a key works with its scopes only, under either scheme, and stops at once when revoked', async () => {
    const { key: k, record } = await i.auth.apiKeys.create({
      owner: 'reporting-bot',
      permissions: ['reports:read'],
    });
    for (const authorization of [`ApiKey ${k}`, `Bearer ${k}`]) {
      const ok = await call(`${i.app.url}/api/reports`, { headers: { authorization } });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ address: 'reporting-bot', kind: 'api-key', keyId: record.id });
    }
    const denied = await call(`${i.app.url}/api/deploys`, { method: 'POST', headers: key(k) });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('insufficient_scope');
    // a route that did not opt in takes no key
    const sessionOnly = await call(`${i.app.url}/api/me`, { headers: key(k) });
    expect(sessionOnly.status).toBe(401);
    expect(sessionOnly.body.code).toBe('token_invalid');

    expect(await i.auth.apiKeys.revoke(record.id)).toBe(true);
    const revoked = await call(`${i.app.url}/api/reports`, { headers: key(k) });
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('api_key_revoked');
    expect(revoked.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('the IP allow list: 403 from elsewhere, 200 from an allowed address', async () => {
    const { key: k } = await i.auth.apiKeys.create({
      owner: 'ops',
      permissions: ['reports:read'],
      ipAllowList: [`${ATTACKER}/32`],
    });
    const refused = await call(`${i.app.url}/api/reports`, { headers: key(k), from: VICTIM });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('api_key_ip_forbidden');
    const ok = await call(`${i.app.url}/api/reports`, { headers: key(k), from: ATTACKER });
    expect(ok.status).toBe(200);
  });
});

describe('a guessing IP is locked out; a valid key from another IP keeps working', () => {
  let i: Instance;
  beforeAll(async () => {
    i = await instance('express', createMemoryStore(), {
      rateLimits: { apiKeyLockout: { freeFailures: 3, baseSeconds: 600, maxSeconds: 600 } },
    });
  });
  afterAll(async () => {
    await i?.app.close();
  });

  it('attacker 127.0.0.2 vs victim 127.0.0.1', async () => {
    const { key: victimKey, record } = await i.auth.apiKeys.create({
      owner: 'victim',
      permissions: ['reports:read'],
    });
    const guess = () => `evak_${record.id}_${randomBytes(32).toString('base64url')}`;
    for (let n = 0; n < 4; n++) {
      const res = await call(`${i.app.url}/api/reports`, { headers: key(guess()), from: ATTACKER });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('api_key_invalid');
    }
    // locked out now: even a right key from the attacker's address is refused before any check
    const locked = await call(`${i.app.url}/api/reports`, {
      headers: key(victimKey),
      from: ATTACKER,
    });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const victim = await call(`${i.app.url}/api/reports`, {
      headers: key(victimKey),
      from: VICTIM,
    });
    expect(victim.status).toBe(200);
    expect(victim.body.keyId).toBe(record.id);
    const refused = i.events.filter((e) => e.type === 'api_key.refused');
    expect(refused.map((e) => e.ip)).toEqual([ATTACKER, ATTACKER, ATTACKER, ATTACKER]);
    expect(i.events.some((e) => e.type === 'rate_limited' && e.ip === ATTACKER)).toBe(true);
  });
});

describe('expiry with an advanced clock', () => {
  const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
  let i: Instance;
  beforeAll(async () => {
    i = await instance('hono', createMemoryStore({ now: () => clock.t }), { now: () => clock.t });
  });
  afterAll(async () => {
    await i?.app.close();
  });

  it('a key works until its expiry, then answers api_key_expired', async () => {
    const { key: k } = await i.auth.apiKeys.create({
      owner: 'temp',
      permissions: ['reports:read'],
      expiresInSeconds: 3600,
    });
    clock.t += 3599_000;
    expect((await call(`${i.app.url}/api/reports`, { headers: key(k) })).status).toBe(200);
    clock.t += 1000;
    const expired = await call(`${i.app.url}/api/reports`, { headers: key(k) });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('api_key_expired');
  });
});

/** Two instances (Express and Hono) on one shared backend; `raw` dumps the backend's data. */
function sharedStoreSuite(
  backend: 'redis' | 'postgres',
  setup: () => Promise<{
    a: AuthStore;
    b: AuthStore;
    raw(): Promise<string>;
    cleanup(): Promise<void>;
  }>,
) {
  describe(`two instances sharing ${backend}`, () => {
    let a: Instance;
    let b: Instance;
    let raw: () => Promise<string>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      const s = await setup();
      raw = s.raw;
      cleanup = s.cleanup;
      a = await instance('express', s.a);
      b = await instance('hono', s.b);
    });
    afterAll(async () => {
      await a?.app.close();
      await b?.app.close();
      await cleanup?.();
    });

    it('made over HTTP on one, used on the other, revoked there: refused on the first at once', async () => {
      const headers = await signIn(b);
      const made = await call(`${b.app.url}/auth/api-keys`, {
        method: 'POST',
        headers,
        body: { permissions: ['deploys:write'], name: 'deployer', owner: 'deploy-bot' },
      });
      expect(made.status).toBe(201);
      const k = made.body.key as string;
      const id = made.body.apiKey.id as string;
      const use = () => call(`${a.app.url}/api/deploys`, { method: 'POST', headers: key(k) });
      expect((await use()).status).toBe(200);
      expect((await use()).body).toEqual({ address: 'deploy-bot', kind: 'api-key', keyId: id });
      // listed on the other instance with its last use, without the secret
      const listed = await call(`${a.app.url}/auth/api-keys?owner=deploy-bot`, {
        headers: await signIn(a),
      });
      expect(listed.status).toBe(200);
      expect(listed.body.apiKeys).toHaveLength(1);
      expect(listed.body.apiKeys[0]?.lastUsedAt).not.toBeNull();

      const del = await call(`${b.app.url}/auth/api-keys/${id}`, { method: 'DELETE', headers });
      expect(del.status).toBe(204);
      const after = await use();
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('api_key_revoked');

      // never in clear: not in the backend's raw data, the events or either instance's log
      const { secret } = { secret: k.slice(30) };
      const dump = await raw();
      expect(dump).toContain(id); // the dump does hold the record
      expect(dump).toContain(createHash('sha256').update(secret).digest('base64url'));
      const everything = [
        dump,
        JSON.stringify(a.events),
        JSON.stringify(b.events),
        ...a.lines,
        ...b.lines,
      ].join('\n');
      expect(a.lines.some((l) => l.includes('api_key.used'))).toBe(true);
      expect(b.lines.some((l) => l.includes('api_key.created'))).toBe(true);
      for (const needle of [k, secret, secret.slice(0, 20), secret.slice(-20)])
        expect(everything).not.toContain(needle);
    });

    it('a key made with the facade on one instance is revoked by the facade on the other', async () => {
      const { key: k, record } = await a.auth.apiKeys.create({
        owner: 'reporting-bot',
        permissions: ['reports:read'],
      });
      const use = () => call(`${b.app.url}/api/reports`, { headers: key(k) });
      expect((await use()).status).toBe(200);
      expect((await b.auth.apiKeys.list('reporting-bot')).map((r) => r.id)).toContain(record.id);
      expect(await b.auth.apiKeys.revoke(record.id)).toBe(true);
      expect((await use()).body.code).toBe('api_key_revoked');
      expect(await a.auth.apiKeys.revoke(record.id)).toBe(false);
    });
  });
}

await describeWithServices(['redis'], 'API keys on Redis', () => {
  sharedStoreSuite('redis', async () => {
    const keyPrefix = testKeyPrefix('ak');
    const a = createRedisStore({ url: REDIS_URL, keyPrefix });
    const b = createRedisStore({ url: REDIS_URL, keyPrefix });
    const client = new Redis(REDIS_URL);
    return {
      a,
      b,
      async raw() {
        const out: string[] = [];
        for (const k of await client.keys(`${keyPrefix}*`)) {
          const type = await client.type(k);
          const value =
            type === 'string'
              ? await client.get(k)
              : type === 'hash'
                ? await client.hgetall(k)
                : type === 'set'
                  ? await client.smembers(k)
                  : type === 'zset'
                    ? await client.zrange(k, 0, -1, 'WITHSCORES')
                    : type;
          out.push(`${k} ${JSON.stringify(value)}`);
        }
        return out.join('\n');
      },
      async cleanup() {
        await a.close();
        await b.close();
        client.disconnect();
        await cleanupRedisPrefix(keyPrefix);
      },
    };
  });
});

await describeWithServices(['postgres'], 'API keys on Postgres', () => {
  sharedStoreSuite('postgres', async () => {
    const schema = testSchema('ak');
    const a = createPostgresStore({ connectionString: DATABASE_URL, schema });
    await a.migrate();
    const b = createPostgresStore({ connectionString: DATABASE_URL, schema });
    return {
      a,
      b,
      async raw() {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        try {
          const out: string[] = [];
          const tables = await client.query(
            'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
            [schema],
          );
          for (const { table_name } of tables.rows as { table_name: string }[]) {
            const rows = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
            out.push(`${table_name} ${JSON.stringify(rows.rows)}`);
          }
          return out.join('\n');
        } finally {
          await client.end();
        }
      },
      async cleanup() {
        await a.close();
        await b.close();
        await dropSchema(schema);
      },
    };
  });
});
