// The Next.js adapter against a real auth in cookie mode: the route handlers, auth() in server
// components and in server actions (next/headers mocked: the request's headers and a cookie
// store recording `set`), requireAuth's redirect, and the proxy (refresh into the request and the
// response, guarded pages and API paths, cross-site posts).
import type { TokenResponse } from '@evrmore-auth/core';
import { NextRequest } from 'next/server.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHarness, ORIGIN, wallet } from '../../test/harness.js';
import { CookieJar } from '../../test/cookie-jar.js';
import { evrmoreAuthNext } from './next.js';

const SESSION = '__Host-evrmore-session';
const RT = '__Secure-evrmore-rt';

/** What next/headers hands the code under test: the current request's headers and cookie sets. */
const current = {
  headers: new Headers(),
  set: [] as Array<{ name: string; value: string; maxAge?: number }>,
  /** Whether cookies().set throws, as it does in a server component. */
  readOnly: false,
};
vi.mock('next/headers.js', () => ({
  headers: async () => current.headers,
  cookies: async () => ({
    set: (cookie: { name: string; value: string; maxAge?: number }) => {
      if (current.readOnly) throw new Error('Cookies can only be modified in a Server Action');
      current.set.push(cookie);
    },
  }),
}));
vi.mock('next/navigation', () => ({
  redirect: (url: string) => {
    throw Object.assign(new Error('NEXT_REDIRECT'), { url });
  },
}));

beforeEach(() => {
  current.headers = new Headers();
  current.set = [];
  current.readOnly = false;
});

async function setup() {
  const h = await createHarness({ sessionCookie: true });
  const w = wallet('42');
  const { message } = await h.challenge(w);
  const res = await h.request('POST', '/auth/verify', {
    body: { message, signature: w.sign(message) },
    headers: { origin: ORIGIN },
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as TokenResponse;
  const jar = new CookieJar().apply(res);
  const next = evrmoreAuthNext(h.auth, {
    protect: { pages: ['/dashboard'], api: ['/api/notes'] },
    signInPath: '/signin',
  });
  return { h, w, tokens, jar, next };
}

function nextRequest(
  path: string,
  jar: CookieJar | null,
  init: { method?: string; headers?: Record<string, string> } = {},
) {
  const cookie = jar?.header('/');
  return new NextRequest(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers: { host: 'app.example.com', ...(cookie ? { cookie } : {}), ...init.headers },
  });
}

describe('evrmoreAuthNext', () => {
  it('refuses an auth without cookie sessions and bad options', async () => {
    const bearer = await createHarness();
    expect(() => evrmoreAuthNext(bearer.auth)).toThrow(/sessionCookie: true/);
    const { h } = await setup();
    expect(() => evrmoreAuthNext(h.auth, { protect: { pages: ['dashboard'] } })).toThrow(
      /protect.pages/,
    );
    expect(() => evrmoreAuthNext(h.auth, { signInPath: 'https://evil.example' })).toThrow(
      /signInPath/,
    );
  });

  it('handlers serve the auth routes', async () => {
    const { next } = await setup();
    const res = await next.handlers.GET(new Request(`${ORIGIN}/auth/jwks.json`));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
  });
});

describe('auth()', () => {
  it('in a server component: the identity from the session cookie, nothing set', async () => {
    const { next, jar, w, tokens } = await setup();
    current.headers = new Headers({ cookie: jar.header('/') });
    const user = await next.auth();
    expect(user?.address).toBe(w.address);
    expect(user?.sessionId).toBe(tokens.session.id);
    expect(current.set).toEqual([]);
    current.headers = new Headers();
    expect(await next.auth()).toBeNull();
  });

  it('in a server component with an expired session cookie: null, and the refresh token is not spent', async () => {
    const { next, jar, h, w } = await setup();
    h.tick(931_000);
    jar.delete(SESSION);
    current.headers = new Headers({ cookie: jar.header('/') });
    current.readOnly = true;
    expect(await next.auth()).toBeNull();
    // The refresh cookie still works (the proxy, or an action, can refresh with it).
    const refreshed = await h.auth.getSession(
      new Request(`${ORIGIN}/`, { headers: { cookie: jar.header('/') } }),
    );
    expect(refreshed.identity?.address).toBe(w.address);
  });

  it('in a server action: refreshes an expired session and sets the new cookies', async () => {
    const { next, jar, h, w } = await setup();
    const oldRefresh = jar.get(RT);
    h.tick(931_000);
    jar.delete(SESSION);
    current.headers = new Headers({
      cookie: jar.header('/'),
      origin: ORIGIN,
      'next-action': 'abc123',
      'content-type': 'text/plain;charset=UTF-8',
    });
    const user = await next.auth();
    expect(user?.address).toBe(w.address);
    const names = current.set.map((c) => c.name);
    expect(names).toContain(SESSION);
    expect(names).toContain(RT);
    expect(current.set.find((c) => c.name === RT)?.value).not.toBe(oldRefresh);
    expect(current.set.find((c) => c.name === SESSION)).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
    });
  });

  it('in a server action or form post from another origin: csrf_rejected (403)', async () => {
    const { next, jar } = await setup();
    const ways: Record<string, string>[] = [
      { 'next-action': 'abc123' },
      { 'content-type': 'application/x-www-form-urlencoded' },
    ];
    for (const extra of ways) {
      current.headers = new Headers({
        cookie: jar.header('/'),
        origin: 'https://evil.example',
        ...extra,
      });
      await expect(next.auth()).rejects.toMatchObject({ code: 'csrf_rejected', status: 403 });
    }
    // A route handler passes its request: the method decides.
    const post = new Request(`${ORIGIN}/api/notes`, {
      method: 'POST',
      headers: { cookie: jar.header('/'), origin: 'https://evil.example' },
    });
    await expect(next.auth(post)).rejects.toMatchObject({ code: 'csrf_rejected' });
    const get = new Request(`${ORIGIN}/api/notes`, { headers: { cookie: jar.header('/') } });
    expect(await next.auth(get)).not.toBeNull();
  });

  it('in a route handler (given its request): refreshes an expired session and sets the cookies', async () => {
    const { next, jar, h, w } = await setup();
    h.tick(931_000);
    jar.delete(SESSION);
    const get = new Request(`${ORIGIN}/api/notes`, { headers: { cookie: jar.header('/') } });
    expect((await next.auth(get))?.address).toBe(w.address);
    expect(current.set.map((c) => c.name)).toContain(SESSION);
  });

  it('sees a revoked session at once', async () => {
    const { next, jar, h, tokens } = await setup();
    current.headers = new Headers({ cookie: jar.header('/') });
    expect(await next.auth()).not.toBeNull();
    await h.auth.revokeSession(tokens.session.id);
    expect(await next.auth()).toBeNull();
  });

  it('requireAuth redirects to the sign-in path when signed out', async () => {
    const { next, jar, w } = await setup();
    await expect(next.requireAuth('/dashboard')).rejects.toMatchObject({
      url: '/signin?next=%2Fdashboard',
    });
    current.headers = new Headers({ cookie: jar.header('/') });
    expect((await next.requireAuth()).address).toBe(w.address);
  });
});

describe('proxy', () => {
  it('passes a fresh session straight through, and a visitor without cookies', async () => {
    const { next, jar } = await setup();
    for (const res of [
      await next.proxy(nextRequest('/', jar)),
      await next.proxy(nextRequest('/', null)),
    ]) {
      expect(res.headers.get('x-middleware-next')).toBe('1');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('refreshes an expired session: new cookies to the browser and into the request', async () => {
    const { next, jar, h } = await setup();
    h.tick(931_000);
    jar.delete(SESSION);
    const res = await next.proxy(nextRequest('/', jar));
    expect(res.headers.get('x-middleware-next')).toBe('1');
    const setCookie = res.headers.getSetCookie();
    const session = setCookie.find((c) => c.startsWith(`${SESSION}=`));
    expect(session).toMatch(/HttpOnly/);
    // The request the pages see carries the new session cookie (Next's request-override header).
    const forwarded = res.headers.get('x-middleware-request-cookie');
    expect(forwarded).toContain(`${SESSION}=${session!.split(';')[0]!.split('=')[1]}`);
    expect(res.headers.get('x-middleware-override-headers')).toContain('cookie');
    // …and that session is valid.
    jar.apply(setCookie);
    const page = await h.auth.getSession(
      new Request(`${ORIGIN}/`, { headers: { cookie: jar.header('/') } }),
    );
    expect(page.identity).not.toBeNull();
    expect(page.setCookie).toEqual([]);
  });

  it('redirects a signed-out visitor of a protected page, answers 401 on a protected API path', async () => {
    const { next } = await setup();
    const page = await next.proxy(nextRequest('/dashboard/notes?x=1', null));
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toBe(
      `${ORIGIN}/signin?next=${encodeURIComponent('/dashboard/notes?x=1')}`,
    );
    const api = await next.proxy(nextRequest('/api/notes', null));
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    // A path that only starts like a protected one is not protected.
    expect((await next.proxy(nextRequest('/dashboards', null))).status).toBe(200);
  });

  it('redirects a revoked session on a protected page and clears its cookies', async () => {
    const { next, jar, h, tokens } = await setup();
    expect(
      (await next.proxy(nextRequest('/dashboard', jar))).headers.get('x-middleware-next'),
    ).toBe('1');
    await h.auth.revokeSession(tokens.session.id);
    const res = await next.proxy(nextRequest('/dashboard', jar));
    expect(res.status).toBe(307);
  });

  it('refuses a cross-site POST that carries the session cookie (403), lets the same origin through', async () => {
    const { next, jar } = await setup();
    const evil = await next.proxy(
      nextRequest('/', jar, { method: 'POST', headers: { origin: 'https://evil.example' } }),
    );
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { code: string }).code).toBe('csrf_rejected');
    const own = await next.proxy(
      nextRequest('/', jar, { method: 'POST', headers: { origin: ORIGIN } }),
    );
    expect(own.headers.get('x-middleware-next')).toBe('1');
  });

  it('leaves the auth routes to their handlers', async () => {
    const { next, jar, h } = await setup();
    h.tick(931_000);
    jar.delete(SESSION);
    const res = await next.proxy(nextRequest('/auth/refresh', jar, { method: 'POST' }));
    expect(res.headers.get('x-middleware-next')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});
