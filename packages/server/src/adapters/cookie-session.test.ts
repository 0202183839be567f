// Cookie mode (issue 17) through every adapter over real HTTP on loopback: the bare fetch handler
// (with auth.getSession), Express, Fastify and Hono. Cookie attributes, requireAuth by the session
// cookie, server-side refresh with Set-Cookie forwarded, rotation and reuse detection, revocation,
// logout, store outage, and the CSRF rule for every unsafe method.
import type { TokenResponse } from '@evrmore-auth/core';
import { Hono } from 'hono';
import * as ho from './hono.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import { createMemoryStore } from '../stores/memory.js';
import { createTestAuth, ORIGIN, wallet } from '../../test/harness.js';
import { CookieJar, cookieAttributes } from '../../test/cookie-jar.js';
import {
  ADAPTERS,
  POST_METHODS,
  start,
  type AdapterName,
  type Running,
} from '../../test/adapter-servers.js';

const SESSION = '__Host-evrmore-session';
const FGP = '__Host-evrmore-fgp';
const RT = '__Secure-evrmore-rt';

interface Setup {
  auth: EvrmoreAuth;
  server: Running;
  clock: { t: number };
  down: { on: boolean };
}

const setups = new Map<AdapterName, Setup>();
const bearerServers = new Map<AdapterName, { auth: EvrmoreAuth; server: Running }>();
beforeAll(async () => {
  for (const name of ADAPTERS) {
    const clock = { t: Date.now() };
    const now = () => clock.t;
    const store = createMemoryStore({ now });
    const down = { on: false };
    const fail = () => Promise.reject(new StoreUnavailableError('store down'));
    const flaky: AuthStore = {
      ...store,
      getSession: (id) => (down.on ? fail() : store.getSession(id)),
      rotateRefresh: (input) => (down.on ? fail() : store.rotateRefresh(input)),
    };
    const auth = await createTestAuth({
      sessionCookie: true,
      now,
      store: flaky,
      rateLimits: { enabled: false },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    setups.set(name, { auth, server: await start(name, auth), clock, down });
    const bearer = await createTestAuth({ rateLimits: { enabled: false } });
    bearerServers.set(name, { auth: bearer, server: await start(name, bearer) });
  }
});
afterAll(async () => {
  for (const { server } of [...setups.values(), ...bearerServers.values()]) await server.close();
});

async function signIn(url: string, seed: string) {
  const w = wallet(seed);
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify(body),
    });
  const ch = await post('/auth/challenge', { address: w.address });
  const { message } = (await ch.json()) as { message: string };
  const res = await post('/auth/verify', { message, signature: w.sign(message) });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as TokenResponse;
  return { w, res, tokens, jar: new CookieJar().apply(res) };
}

const get = (url: string, path: string, jar: CookieJar, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { headers: { cookie: jar.header(path), ...headers } });

describe.each(ADAPTERS)('cookie mode through %s', (name) => {
  const seed = (n: number) => `${n}${ADAPTERS.indexOf(name)}`;

  it('verify sets the session cookie; requireAuth accepts it alone and sets nothing', async () => {
    const { server } = setups.get(name)!;
    const { res, tokens, jar, w } = await signIn(server.url, seed(1));
    expect(res.headers.getSetCookie()).toContain(
      `${SESSION}=${tokens.accessToken}; Path=/; Max-Age=900; HttpOnly; SameSite=Lax; Secure`,
    );
    const attrs = cookieAttributes(res);
    expect(attrs[RT]).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']),
    );
    expect(attrs[FGP]).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']),
    );
    const me = await get(server.url, '/api/me', jar);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ address: w.address, sessionId: tokens.session.id });
    expect(me.headers.getSetCookie()).toEqual([]);
    // bearer still works at the same time
    const bearer = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, cookie: `${FGP}=${jar.get(FGP)!}` },
    });
    expect(bearer.status).toBe(200);
  });

  it('an expired session cookie is refreshed on the server and the new cookies forwarded; reuse of the old refresh cookie revokes the family', async () => {
    const { server, clock } = setups.get(name)!;
    const { jar, tokens, w } = await signIn(server.url, seed(2));
    const stolen = new CookieJar().apply(
      [...jar.cookies.values()].map((c) => `${c.name}=${c.value}; Path=${c.path}`),
    );
    clock.t += 931_000;
    jar.delete(SESSION); // Max-Age passed
    const me = await get(server.url, '/api/me', jar);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { address: string }).address).toBe(w.address);
    const set = cookieAttributes(me);
    expect(Object.keys(set).sort()).toEqual([RT, SESSION, 'evrmore_auth_hint'].sort());
    expect(set[SESSION]).toEqual(['Path=/', 'Max-Age=900', 'HttpOnly', 'SameSite=Lax', 'Secure']);
    jar.apply(me);
    expect(jar.get(RT)).not.toBe(stolen.get(RT));
    const again = await get(server.url, '/api/me', jar);
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie()).toEqual([]);

    // the old refresh cookie replayed past the grace and retry windows
    clock.t += 61_000;
    stolen.delete(SESSION);
    const replay = await get(server.url, '/api/me', stolen);
    expect(replay.status).toBe(401);
    expect(replay.headers.get('content-type')).toBe('application/problem+json');
    const cleared = cookieAttributes(replay);
    for (const c of [SESSION, RT, FGP]) expect(cleared[c]).toContain('Max-Age=0');
    const legit = await get(server.url, '/api/me', jar);
    expect(legit.status).toBe(401);
    // the fetch app answers token_missing for any null identity (getSession gives no reason)
    expect(((await legit.json()) as { code: string }).code).toBe(
      name === 'fetch' ? 'token_missing' : 'token_revoked',
    );
    expect(tokens.session.id).toBeTruthy();
  });

  it('revocation takes effect on the very next request; logout clears every cookie', async () => {
    const { server, auth } = setups.get(name)!;
    const a = await signIn(server.url, seed(3));
    expect((await get(server.url, '/api/me', a.jar)).status).toBe(200);
    await auth.revokeSession(a.tokens.session.id);
    expect((await get(server.url, '/api/me', a.jar)).status).toBe(401);

    const b = await signIn(server.url, seed(4));
    const out = await fetch(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: ORIGIN, cookie: b.jar.header('/auth/logout') },
    });
    expect(out.status).toBe(204);
    b.jar.apply(out);
    expect(b.jar.header('/')).toBe('');
  });

  it('a store outage is 503 unavailable (fail closed)', async () => {
    const setup = setups.get(name)!;
    const { jar } = await signIn(setup.server.url, seed(5));
    setup.down.on = true;
    try {
      const res = await get(setup.server.url, '/api/me', jar);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('unavailable');
      jar.delete(SESSION);
      const refresh = await get(setup.server.url, '/api/me', jar);
      expect(refresh.status).toBe(503);
    } finally {
      setup.down.on = false;
    }
  });

  describe('CSRF on POST/PUT/PATCH/DELETE /api/posts', () => {
    let jar: CookieJar;
    let address: string;
    beforeAll(async () => {
      const s = await signIn(setups.get(name)!.server.url, seed(6));
      jar = s.jar;
      address = s.w.address;
    });
    const send = (method: string, headers: Record<string, string>, body?: string) =>
      fetch(`${setups.get(name)!.server.url}/api/posts`, {
        method,
        headers: { cookie: jar.header('/api/posts'), ...headers },
        ...(body === undefined ? {} : { body }),
      });
    async function refused(res: Response) {
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'csrf_rejected', status: 403 });
    }
    async function allowed(res: Response, method: string) {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ method, author: address });
    }

    it.each(POST_METHODS)(
      '%s: foreign Origin, Origin null and no Origin are refused',
      async (method) => {
        await refused(await send(method, { origin: 'https://evil.example' }));
        await refused(await send(method, { origin: 'null' }));
        await refused(await send(method, {}));
      },
    );

    it.each(POST_METHODS)(
      '%s: Sec-Fetch-Site same-origin and an allowed Origin are allowed',
      async (method) => {
        await allowed(await send(method, { 'sec-fetch-site': 'same-origin' }), method);
        await allowed(await send(method, { origin: ORIGIN }), method);
      },
    );

    it('a form post (application/x-www-form-urlencoded) with a foreign Origin is refused', async () => {
      await refused(
        await send(
          'POST',
          { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
          'title=pwned',
        ),
      );
    });

    it('without any auth cookie: requireAuth answers 401 token_missing; getSession applies the CSRF rule anyway', async () => {
      const res = await fetch(`${setups.get(name)!.server.url}/api/posts`, { method: 'POST' });
      if (name === 'fetch') await refused(res);
      else {
        expect(res.status).toBe(401);
        expect(((await res.json()) as { code: string }).code).toBe('token_missing');
      }
    });
  });

  it('bearer mode (sessionCookie off) sets no session cookie and ignores one', async () => {
    const { server } = bearerServers.get(name)!;
    const { res, tokens, jar } = await signIn(server.url, seed(7));
    expect(Object.keys(cookieAttributes(res)).sort()).toEqual(
      [FGP, RT, 'evrmore_auth_hint'].sort(),
    );
    expect(cookieAttributes(res)[RT]).toContain('Path=/auth');
    const me = await fetch(`${server.url}/api/me`, {
      headers: { cookie: `${SESSION}=${tokens.accessToken}; ${FGP}=${jar.get(FGP)!}` },
    });
    expect(me.status).toBe(401);
    expect(((await me.json()) as { code: string }).code).toBe('token_missing');
  });
});

describe('Hono requireAuth off Node (app.request): getIp feeds the server-side refresh', () => {
  it('in production the refresh needs the client IP: 500 without it, 200 with getIp', async () => {
    const clock = { t: Date.now() };
    const auth = await createTestAuth({
      sessionCookie: true,
      production: true,
      now: () => clock.t,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const app = new Hono<{ Variables: ho.EvrmoreAuthVariables }>();
    app.use(ho.evrmoreAuth(auth, { getIp: () => '198.51.100.7' }));
    app.get('/without', ho.requireAuth(auth), (c) => c.json({ a: c.get('auth').address }));
    app.get('/with', ho.requireAuth(auth, { getIp: () => '198.51.100.7' }), (c) =>
      c.json({ a: c.get('auth').address }),
    );
    const w = wallet('88');
    const post = (path: string, body: unknown) =>
      app.request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify(body),
      });
    const { message } = (await (await post('/auth/challenge', { address: w.address })).json()) as {
      message: string;
    };
    const vf = await post('/auth/verify', { message, signature: w.sign(message) });
    expect(vf.status).toBe(200);
    const jar = new CookieJar().apply(vf);
    clock.t += 931_000;
    jar.delete(SESSION);
    const without = await app.request(`${ORIGIN}/without`, {
      headers: { cookie: jar.header('/') },
    });
    expect(without.status).toBe(500);
    const withIp = await app.request(`${ORIGIN}/with`, { headers: { cookie: jar.header('/') } });
    expect(withIp.status).toBe(200);
    expect(await withIp.json()).toEqual({ a: w.address });
    expect(cookieAttributes(withIp)[SESSION]).toContain('HttpOnly');
    expect(() => ho.requireAuth(auth, { getIp: 'x' as never })).toThrow(
      'requireAuth: getIp must be a function',
    );
  });
});
