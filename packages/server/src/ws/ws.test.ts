// Authenticated WebSockets over real sockets on loopback: a node:http server with a `ws`
// WebSocketServer (and Hono on @hono/node-server with @hono/node-ws), the `ws` package as client.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { TokenResponse } from '@evrmore-auth/core';
import * as DPoP from 'dpop';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createMemoryStore } from '../stores/memory.js';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import { createRedisStore, type RedisStore } from '../stores/redis.js';
import { createPostgresStore } from '../stores/postgres.js';
import pg from 'pg';
import {
  cookieValue,
  createHarness,
  ORIGIN,
  T0,
  wallet,
  type Harness,
  type SignedIn,
} from '../../test/harness.js';
import {
  createWebSocketAuth,
  selectProtocol,
  WS_CLOSE,
  type WebSocketAuth,
  type WebSocketAuthOptions,
} from './index.js';
import { runtimeOf, SocketCore, SocketState } from './core.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  port: number;
  sockets: WebSocketAuth;
  /** Messages the application handler received, as text. */
  received: string[];
}

/** A node:http server whose upgrades go through the helper; the handler echoes. */
async function serveWs(h: Harness, options: WebSocketAuthOptions = {}): Promise<Served> {
  const server: Server = createServer((_req, res) => res.end('http'));
  const wss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
  const sockets = createWebSocketAuth(h.auth, {
    heartbeatIntervalMs: 0,
    revocationPollMs: 0,
    ...options,
  });
  const received: string[] = [];
  server.on(
    'upgrade',
    sockets.upgrade(
      wss,
      {
        onOpen: (s) => s.send(`hello ${s.identity.address}`),
        onMessage: (s, data) => {
          received.push(String(data));
          s.send(`echo:${String(data)}`);
        },
      },
      { path: '/feed' },
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(async () => {
    await sockets.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, sockets, received };
}

interface ConnectOptions {
  token?: string | null;
  fingerprint?: string | null;
  origin?: string | null;
  path?: string;
  autoPong?: boolean;
  /** Subprotocols offered after the token's. */
  extraProtocols?: string[];
}

type Connected =
  { ws: WebSocket; messages: string[]; next(): Promise<string> } | { status: number };

function connect(port: number, s: SignedIn | null, o: ConnectOptions = {}): Promise<Connected> {
  const token = o.token === undefined ? (s?.tokens.accessToken ?? null) : o.token;
  const fingerprint = o.fingerprint === undefined ? (s?.fingerprint ?? null) : o.fingerprint;
  const headers: Record<string, string> = {};
  if (fingerprint !== null) headers.cookie = `__Host-evrmore-fgp=${fingerprint}`;
  const origin = o.origin === undefined ? ORIGIN : o.origin;
  const protocols = [
    ...(token === null ? [] : ['evrmore-auth', `evrmore-auth.token.${token}`]),
    ...(o.extraProtocols ?? []),
  ];
  const ws = new WebSocket(`ws://127.0.0.1:${port}${o.path ?? '/feed'}`, protocols, {
    headers,
    ...(origin === null ? {} : { origin }),
    autoPong: o.autoPong ?? true,
  });
  cleanups.push(() => ws.terminate());
  const messages: string[] = [];
  const waiters: Array<(m: string) => void> = [];
  ws.on('message', (d) => {
    const m = String(d);
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = (): Promise<string> =>
    messages.length > 0
      ? Promise.resolve(messages.shift()!)
      : new Promise<string>((r) => waiters.push(r));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, next }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', (err) => reject(err));
  });
}

async function open(port: number, s: SignedIn | null, o: ConnectOptions = {}) {
  const c = await connect(port, s, o);
  if (!('ws' in c)) throw new Error(`upgrade refused with ${c.status}`);
  return c;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed');
  return new Promise((r) =>
    ws.once('close', (code, reason) => r({ code, reason: String(reason) })),
  );
}

/** Send and wait for the echo (proves delivery and order). */
async function roundTrip(c: { ws: WebSocket; next(): Promise<string> }, text: string) {
  c.ws.send(text);
  return c.next();
}

async function refresh(h: Harness, s: SignedIn): Promise<string> {
  const res = await h.request('POST', '/auth/refresh', {
    headers: {
      'x-requested-with': 'evrmore-auth',
      cookie: `__Secure-evrmore-rt=${s.refreshToken}; __Host-evrmore-fgp=${s.fingerprint}`,
    },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Two auth instances (own caches and sockets) sharing one store and one clock. */
async function twoInstances(store = createMemoryStore({ now: () => clock.t })) {
  const a = await createHarness({ store, now: () => clock.t });
  const b = await createHarness({ store, now: () => clock.t });
  a.clock = b.clock = clock;
  return { a, b };
}
const clock = { t: T0 };

describe('upgrade', () => {
  it('accepts the token in Sec-WebSocket-Protocol with the fingerprint cookie, selects evrmore-auth, delivers messages', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    expect(c.ws.protocol).toBe('evrmore-auth');
    expect(await c.next()).toBe(`hello ${s.tokens.session.address}`);
    expect(await roundTrip(c, 'one')).toBe('echo:one');
    expect(await roundTrip(c, 'two')).toBe('echo:two');
    expect(srv.received).toEqual(['one', 'two']);
    expect(srv.sockets.size).toBe(1);
    // a burst, sent without waiting (each checked against the store): delivered in order, with a
    // renewal auth message in the middle of it
    const burst = Array.from({ length: 100 }, (_, i) => `m${i}`);
    for (const m of burst.slice(0, 50)) c.ws.send(m);
    c.ws.send(JSON.stringify({ type: 'auth', token: s.tokens.accessToken }));
    for (const m of burst.slice(50)) c.ws.send(m);
    const echoes: string[] = [];
    while (echoes.length < 101) echoes.push(await c.next());
    expect(srv.received.slice(2)).toEqual(burst);
    expect(echoes.filter((e) => e.startsWith('echo:'))).toEqual(burst.map((m) => `echo:${m}`));
    expect(echoes.indexOf(echoes.find((e) => e.includes('auth.ok'))!)).toBe(50);
  });

  it('refuses with 401 before the upgrade: no credentials, a bad token, a wrong fingerprint cookie', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const other = await h.signIn();
    const srv = await serveWs(h);
    expect(await connect(srv.port, null)).toEqual({ status: 401 });
    expect(await connect(srv.port, s, { token: 'not.a.jwt' })).toEqual({ status: 401 });
    expect(await connect(srv.port, s, { fingerprint: other.fingerprint })).toEqual({
      status: 401,
    });
    expect(await connect(srv.port, s, { fingerprint: null })).toEqual({ status: 401 });
    expect(srv.sockets.size).toBe(0);
  });

  it('without the auth message (authTimeoutMs: 0) an upgrade without a token is refused with 401', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h, { authTimeoutMs: 0 });
    expect(await connect(srv.port, s, { token: null })).toEqual({ status: 401 });
  });

  it('refuses a token in the URL (401), even next to a valid subprotocol token', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const jwt = s.tokens.accessToken;
    expect(await connect(srv.port, s, { path: `/feed?access_token=${jwt}` })).toEqual({
      status: 401,
    });
    expect(await connect(srv.port, s, { path: `/feed?x=${jwt}` })).toEqual({ status: 401 });
    expect(await connect(srv.port, s, { path: '/feed?token=abc' })).toEqual({ status: 401 });
    expect(await connect(srv.port, s, { path: '/feed?room=7' })).toHaveProperty('ws');
  });

  it('refuses a deny-listed client IP with 403 before anything else', async () => {
    const h = await createHarness({ ipLists: { deny: ['127.0.0.0/8'] } });
    const s = await h.signIn();
    const srv = await serveWs(h);
    expect(await connect(srv.port, s)).toEqual({ status: 403 });
    expect(await connect(srv.port, null)).toEqual({ status: 403 });
  });

  it('refuses an Origin not in allowedOrigins with 403 (cross-site WebSocket hijacking)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    expect(await connect(srv.port, s, { origin: 'https://evil.example' })).toEqual({
      status: 403,
    });
    expect(await connect(srv.port, s, { origin: 'null' })).toEqual({ status: 403 });
    // a non-browser client sends no Origin: accepted unless requireOrigin
    expect(await connect(srv.port, s, { origin: null })).toHaveProperty('ws');
    const strict = await serveWs(h, { requireOrigin: true });
    expect(await connect(strict.port, s, { origin: null })).toEqual({ status: 403 });
  });
});

describe('DPoP-bound tokens', () => {
  it('need a proof for GET and the socket URL (subprotocol evrmore-auth.dpop.<proof>, or in the auth message)', async () => {
    // Real time: the dpop package stamps its proofs with the real clock.
    const h = await createHarness({ dpop: { mode: 'allowed' }, now: () => Date.now() });
    const key = await DPoP.generateKeyPair('ES256');
    const w = wallet('77');
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
      headers: { dpop: await DPoP.generateProof(key, `${ORIGIN}/auth/verify`, 'POST') },
    });
    const tokens = (await res.json()) as TokenResponse;
    expect(res.status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.tokenType).toBe('DPoP');
    const s: SignedIn = {
      tokens,
      fingerprint: cookieValue(res, h.auth.config.cookies.fingerprintName)!,
      refreshToken: '',
      authHeaders: {},
    };
    const srv = await serveWs(h);
    const url = `http://127.0.0.1:${srv.port}/feed`;
    const proof = (u = url) => DPoP.generateProof(key, u, 'GET', undefined, tokens.accessToken);
    // without a proof, with a proof for another URL, with another key's proof: refused
    expect(await connect(srv.port, s)).toEqual({ status: 401 });
    const elsewhere = await proof(`http://127.0.0.1:${srv.port}/other`);
    expect(
      await connect(srv.port, s, { extraProtocols: [`evrmore-auth.dpop.${elsewhere}`] }),
    ).toEqual({
      status: 401,
    });
    const stranger = await DPoP.generateProof(
      await DPoP.generateKeyPair('ES256'),
      url,
      'GET',
      undefined,
      tokens.accessToken,
    );
    expect(
      await connect(srv.port, s, { extraProtocols: [`evrmore-auth.dpop.${stranger}`] }),
    ).toEqual({
      status: 401,
    });
    const c = await open(srv.port, s, { extraProtocols: [`evrmore-auth.dpop.${await proof()}`] });
    expect(c.ws.protocol).toBe('evrmore-auth');
    await c.next();
    expect(await roundTrip(c, 'bound')).toBe('echo:bound');
    // the auth message with its proof
    const m = await open(srv.port, s, { token: null });
    m.ws.send(JSON.stringify({ type: 'auth', token: tokens.accessToken, proof: await proof() }));
    expect(JSON.parse(await m.next())).toMatchObject({ type: 'auth.ok' });
    const bare = await open(srv.port, s, { token: null });
    const refused = closed(bare.ws);
    bare.ws.send(JSON.stringify({ type: 'auth', token: tokens.accessToken }));
    expect((await refused).code).toBe(WS_CLOSE.tokenExpired);
    expect(srv.received).toEqual(['bound']);
  });
});

describe('auth message', () => {
  it('authenticates a socket by its first message {"type":"auth","token"} (auth.ok), then delivers', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s, { token: null });
    c.ws.send(JSON.stringify({ type: 'auth', token: s.tokens.accessToken }));
    expect(JSON.parse(await c.next())).toEqual({ type: 'auth.ok', exp: expect.any(Number) });
    expect(await c.next()).toBe(`hello ${s.tokens.session.address}`);
    expect(await roundTrip(c, 'hi')).toBe('echo:hi');
    expect(srv.received).toEqual(['hi']);
  });

  it('closes with 4401 on a message before authentication (never delivered), 4408 without one in time', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h, { authTimeoutMs: 100 });
    const c = await open(srv.port, s, { token: null });
    const done = closed(c.ws);
    c.ws.send('sneaky');
    expect((await done).code).toBe(WS_CLOSE.tokenExpired);
    const late = await open(srv.port, s, { token: null });
    expect((await closed(late.ws)).code).toBe(WS_CLOSE.timeout);
    expect(srv.received).toEqual([]);
  });

  it('renews the token of the same session; a token of another sign-in closes the socket', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    await c.next(); // hello
    h.tick(600_000);
    const renewed = await refresh(h, s);
    c.ws.send(JSON.stringify({ type: 'auth', token: renewed }));
    expect(JSON.parse(await c.next())).toMatchObject({ type: 'auth.ok' });
    h.tick(400_000); // past the first token's expiry (900 s + 30 s tolerance), within the new one's
    expect(await roundTrip(c, 'still here')).toBe('echo:still here');

    const other = await h.signIn();
    const done = closed(c.ws);
    c.ws.send(JSON.stringify({ type: 'auth', token: other.tokens.accessToken }));
    expect((await done).code).toBe(WS_CLOSE.tokenExpired);
    expect(srv.received).toEqual(['still here']);
  });
});

describe('closing', () => {
  it('closes with 4401 when the token expires without renewal; the message is not delivered', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    await c.next();
    h.tick(931_000);
    const done = closed(c.ws);
    c.ws.send('after expiry');
    expect((await done).code).toBe(WS_CLOSE.tokenExpired);
    expect(srv.received).toEqual([]);
  });

  it('closes an idle socket on expiry by the poll (no message needed)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h, { revocationPollMs: 20 });
    const c = await open(srv.port, s);
    const done = closed(c.ws);
    h.tick(931_000);
    expect((await done).code).toBe(WS_CLOSE.tokenExpired);
  });

  it('closes with 4403 at once on a revocation through this instance (no polling)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    const c2 = await open(srv.port, s);
    const done = [closed(c.ws), closed(c2.ws)];
    await h.auth.revokeSession(s.tokens.session.id);
    expect((await Promise.all(done)).map((d) => d.code)).toEqual([
      WS_CLOSE.forbidden,
      WS_CLOSE.forbidden,
    ]);
    expect(srv.sockets.size).toBe(0);
  });

  it('closes on sign-out (POST /auth/logout) and on revoke-all', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const s2 = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    const done = closed(c.ws);
    const res = await h.request('POST', '/auth/logout', { headers: s.authHeaders });
    expect(res.status).toBeLessThan(300);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    const c2 = await open(srv.port, s2);
    const done2 = closed(c2.ws);
    await h.auth.revokeAllSessions(s2.tokens.session.address);
    expect((await done2).code).toBe(WS_CLOSE.forbidden);
  });

  it('closes the socket of a session the session policy evicts (a sign-in over the cap)', async () => {
    const h = await createHarness({ sessionPolicy: { maxSessionsPerAddress: 1 } });
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    const done = closed(c.ws);
    const newer = await h.signIn();
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    expect(await connect(srv.port, newer)).toHaveProperty('ws');
  });

  it('a revocation on ANOTHER instance sharing the memory store: the poll closes the socket', async () => {
    const { a, b } = await twoInstances();
    const s = await a.signIn();
    const srv = await serveWs(a, { revocationPollMs: 25 });
    const c = await open(srv.port, s);
    const done = closed(c.ws);
    expect(await b.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
  });

  it('never delivers a message on a session revoked on another instance (checked per message, no poll)', async () => {
    const { a, b } = await twoInstances();
    const s = await a.signIn();
    const srv = await serveWs(a);
    const c = await open(srv.port, s);
    await c.next();
    expect(await roundTrip(c, 'before')).toBe('echo:before');
    await b.auth.revokeSession(s.tokens.session.id);
    const done = closed(c.ws);
    for (let i = 0; i < 5; i++) c.ws.send(`after ${i}`);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    expect(srv.received).toEqual(['before']);
  });

  it('closes with 4408 when the client stops answering pings; a live client stays open', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h, { heartbeatIntervalMs: 30 });
    const alive = await open(srv.port, s);
    const dead = await open(srv.port, s, { autoPong: false });
    expect((await closed(dead.ws)).code).toBe(WS_CLOSE.timeout);
    // the answering client went through the same heartbeats and is still served
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    await alive.next();
    expect(await roundTrip(alive, 'ping-pong')).toBe('echo:ping-pong');
  });
});

describe('store outage', () => {
  it('fails closed: the upgrade gets 503, a message on an open socket is not delivered (1011)', async () => {
    const memory = createMemoryStore({ now: () => clock.t });
    let down = false;
    const flaky = Object.assign(Object.create(memory) as AuthStore, {
      getSession: (id: string) =>
        down ? Promise.reject(new StoreUnavailableError()) : memory.getSession(id),
    });
    const h = await createHarness({ store: flaky, now: () => clock.t });
    const s = await h.signIn();
    const srv = await serveWs(h);
    const c = await open(srv.port, s);
    await c.next();
    down = true;
    expect(await connect(srv.port, s)).toEqual({ status: 503 });
    const done = closed(c.ws);
    c.ws.send('during the outage');
    expect((await done).code).toBe(WS_CLOSE.unavailable);
    expect(srv.received).toEqual([]);
  });
});

describe('before the binding has the socket', () => {
  it('heartbeats and a revocation do not throw; the close is kept for the binding to replay', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const identity = await h.auth.authenticate({ headers: new Headers(s.authHeaders) });
    const core = new SocketCore(runtimeOf(h.auth), { heartbeatIntervalMs: 5, revocationPollMs: 5 });
    cleanups.push(() => core.close());
    const state = new SocketState(core, '203.0.113.9', new Headers(), {
      url: 'http://127.0.0.1/feed',
      peer: null,
    });
    expect(core.register(state, identity)).toBe(true);
    await new Promise((r) => setTimeout(r, 30)); // several beats and polls with no socket yet
    await h.auth.revokeSession(s.tokens.session.id);
    expect(state.status).toBe('closed');
    expect(state.closedWith.code).toBe(WS_CLOSE.forbidden);
    expect(core.size).toBe(0);
  });
});

describe('connection limits', () => {
  it('per session (default 3): the fourth upgrade gets 429; a slot frees on close', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveWs(h);
    const open3 = [await open(srv.port, s), await open(srv.port, s), await open(srv.port, s)];
    expect(await connect(srv.port, s)).toEqual({ status: 429 });
    const gone = closed(open3[0]!.ws);
    open3[0]!.ws.close();
    await gone;
    await new Promise((r) => setTimeout(r, 20)); // the server's close event
    expect(await connect(srv.port, s)).toHaveProperty('ws');
  });

  it('per IP and per address; over the limit after an auth message: 4429', async () => {
    const h = await createHarness();
    const s1 = await h.signIn();
    const s2 = await h.signIn();
    const srv = await serveWs(h, { maxPerIp: 2, maxPerAddress: 10 });
    await open(srv.port, s1);
    await open(srv.port, s2);
    expect(await connect(srv.port, s1)).toEqual({ status: 429 });

    const perAddress = await serveWs(h, { maxPerAddress: 1 });
    const first = await open(perAddress.port, s1, { token: null });
    first.ws.send(JSON.stringify({ type: 'auth', token: s1.tokens.accessToken }));
    await first.next();
    const second = await open(perAddress.port, s2, { token: null });
    const done = closed(second.ws);
    second.ws.send(JSON.stringify({ type: 'auth', token: s2.tokens.accessToken }));
    expect((await done).code).toBe(WS_CLOSE.limit);
  });
});

describe('Redis: revocation on another instance by pub/sub', () => {
  it('closes the socket at once (polling off)', async (ctx) => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    const up = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    if (!up) {
      if (process.env.CI) throw new Error('Redis is required in CI');
      console.log('SKIP: Redis not reachable at', url);
      ctx.skip();
    }
    const keyPrefix = `wstest:${randomBytes(4).toString('hex')}:`;
    const storeA: RedisStore = createRedisStore({ url, keyPrefix, now: () => clock.t });
    const storeB: RedisStore = createRedisStore({ url, keyPrefix, now: () => clock.t });
    cleanups.push(async () => {
      await storeA.close();
      await storeB.close();
    });
    const a = await createHarness({ store: storeA as never, now: () => clock.t });
    const b = await createHarness({ store: storeB as never, now: () => clock.t });
    const s = await a.signIn();
    const srv = await serveWs(a);
    await srv.sockets.ready();
    const c = await open(srv.port, s);
    await c.next();
    expect(await roundTrip(c, 'live')).toBe('echo:live');
    const done = closed(c.ws);
    expect(await b.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    expect(srv.received).toEqual(['live']);
  });
});

describe('Postgres: revocation on another instance by polling', () => {
  it('closes the idle socket within revocationPollMs', async (ctx) => {
    const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
    const up = await admin.connect().then(
      () => true,
      () => false,
    );
    if (!up) {
      if (process.env.CI) throw new Error('Postgres is required in CI');
      console.log('SKIP: Postgres not reachable at', url);
      ctx.skip();
    }
    const schema = `wstest_${randomBytes(4).toString('hex')}`;
    const storeA = createPostgresStore({ connectionString: url, schema, now: () => clock.t });
    await storeA.migrate();
    const storeB = createPostgresStore({ connectionString: url, schema, now: () => clock.t });
    cleanups.push(async () => {
      await storeA.close();
      await storeB.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const a = await createHarness({ store: storeA as never, now: () => clock.t });
    const b = await createHarness({ store: storeB as never, now: () => clock.t });
    const s = await a.signIn();
    const srv = await serveWs(a, { revocationPollMs: 50 });
    const c = await open(srv.port, s);
    await c.next();
    expect(await roundTrip(c, 'live')).toBe('echo:live');
    const done = closed(c.ws);
    expect(await b.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    expect(srv.received).toEqual(['live']);
  });
});

describe('behind Express and Fastify (their Node servers)', () => {
  it('upgrades on the server Express and Fastify listen with, next to their routes', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const sockets = createWebSocketAuth(h.auth, { heartbeatIntervalMs: 0, revocationPollMs: 0 });
    cleanups.push(() => sockets.close());
    const wss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol });
    const handlers = {
      onMessage: (socket: { send(d: string): void }, data: unknown) =>
        socket.send(`echo:${String(data)}`),
    };

    const app = express();
    app.get('/ping', (_req, res) => {
      res.send('pong');
    });
    const expressServer = app.listen(0, '127.0.0.1');
    await once(expressServer, 'listening');
    expressServer.on('upgrade', sockets.upgrade(wss, handlers, { path: '/feed' }));
    cleanups.push(async () => {
      expressServer.closeAllConnections();
      await new Promise<void>((r) => expressServer.close(() => r()));
    });

    const fastify = Fastify();
    fastify.get('/ping', async () => 'pong');
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    fastify.server.on('upgrade', sockets.upgrade(wss, handlers, { path: '/feed' }));
    cleanups.push(() => fastify.close());

    for (const server of [expressServer, fastify.server]) {
      const port = (server.address() as AddressInfo).port;
      expect(await (await fetch(`http://127.0.0.1:${port}/ping`)).text()).toBe('pong');
      expect(await connect(port, s, { origin: 'https://evil.example' })).toEqual({ status: 403 });
      const c = await open(port, s);
      expect(await roundTrip(c, 'hi')).toBe('echo:hi');
      c.ws.close();
    }
  });
});

describe('Hono helper (@hono/node-ws)', () => {
  async function serveHono(h: Harness, options: WebSocketAuthOptions = {}) {
    const app = new Hono();
    const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app });
    const sockets = createWebSocketAuth(h.auth, {
      heartbeatIntervalMs: 0,
      revocationPollMs: 0,
      ...options,
    });
    const received: string[] = [];
    app.get(
      '/feed',
      sockets.hono(upgradeWebSocket, {
        onMessage: (s, data) => {
          received.push(String(data));
          s.send(`echo:${String(data)}`);
        },
      }),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    injectWebSocket(server);
    await new Promise<void>((r) => server.once('listening', () => r()));
    cleanups.push(async () => {
      await sockets.close();
      (server as Server).closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    return { port: (server.address() as AddressInfo).port, received, sockets };
  }

  it('authenticates, delivers, refuses before the upgrade (401/403), closes on revocation and heartbeat loss', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveHono(h, { heartbeatIntervalMs: 30 });
    expect(await connect(srv.port, null)).toEqual({ status: 401 });
    expect(await connect(srv.port, s, { origin: 'https://evil.example' })).toEqual({
      status: 403,
    });
    expect(
      await connect(srv.port, s, { path: `/feed?access_token=${s.tokens.accessToken}` }),
    ).toEqual({
      status: 401,
    });
    const c = await open(srv.port, s);
    expect(c.ws.protocol).toBe('evrmore-auth');
    expect(await roundTrip(c, 'hono')).toBe('echo:hono');
    const dead = await open(srv.port, s, { autoPong: false });
    expect((await closed(dead.ws)).code).toBe(WS_CLOSE.timeout);
    const done = closed(c.ws);
    await h.auth.revokeSession(s.tokens.session.id);
    expect((await done).code).toBe(WS_CLOSE.forbidden);
    expect(srv.received).toEqual(['hono']);
  });

  it('authenticates by the auth message and renews', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const srv = await serveHono(h);
    const c = await open(srv.port, s, { token: null });
    c.ws.send(JSON.stringify({ type: 'auth', token: s.tokens.accessToken }));
    expect(JSON.parse(await c.next())).toMatchObject({ type: 'auth.ok' });
    expect(await roundTrip(c, 'x')).toBe('echo:x');
    h.tick(931_000);
    const done = closed(c.ws);
    c.ws.send('expired');
    expect((await done).code).toBe(WS_CLOSE.tokenExpired);
    expect(srv.received).toEqual(['x']);
  });
});
