import type { RequestEvent } from '@sveltejs/kit';
import type { TokenResponse } from '@evrmore-auth/core';
import { describe, expect, it, vi } from 'vitest';
import { createHarness, ORIGIN, problem, wallet, type Harness } from '../../test/harness.js';
import { StoreUnavailableError } from '../store.js';
import type { AuthIdentity } from '../authenticate.js';
import { evrmoreAuthHandle, type SvelteKitAuthOptions } from './sveltekit.js';

/** A browser's cookie jar for one site: set-cookie in, cookie header out. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): this {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split('; ');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      if (attrs.some((a) => a === 'Max-Age=0')) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1));
    }
    return this;
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** What SvelteKit hands a hook: enough of RequestEvent for the handle. */
function kitEvent(
  request: Request,
  options: { isDataRequest?: boolean; ip?: string } = {},
): RequestEvent & { locals: { auth?: AuthIdentity | null } } {
  return {
    request,
    url: new URL(request.url),
    locals: {},
    isDataRequest: options.isDataRequest ?? false,
    getClientAddress: () => options.ip ?? '198.51.100.9',
  } as unknown as RequestEvent & { locals: { auth?: AuthIdentity | null } };
}

interface Setup {
  h: Harness;
  run(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: string; isDataRequest?: boolean },
  ): Promise<{ res: Response; event: ReturnType<typeof kitEvent>; resolved: boolean }>;
  /** Sign in through the hook's /auth routes; the jar then holds the session cookies. */
  signIn(jar: Jar, seed?: string): Promise<{ tokens: TokenResponse; sessionCookie: string }>;
}

async function setup(options: SvelteKitAuthOptions = {}): Promise<Setup> {
  const h = await createHarness({ sessionCookie: true, allowedOrigins: [ORIGIN] });
  const handle = evrmoreAuthHandle(h.auth, { protect: ['/account', /^\/admin(\/|$)/], ...options });
  const run: Setup['run'] = async (method, path, init = {}) => {
    const request = new Request(`${ORIGIN}${path}`, {
      method,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const event = kitEvent(request, { isDataRequest: init.isDataRequest ?? false });
    let resolved = false;
    const res = await handle({
      event,
      resolve: async () => {
        resolved = true;
        return new Response(`<p>${event.locals.auth?.address ?? 'signed out'}</p>`, {
          headers: { 'content-type': 'text/html' },
        });
      },
    });
    return { res, event, resolved };
  };
  return {
    h,
    run,
    async signIn(jar, seed = '42') {
      const w = wallet(seed);
      const json = { 'content-type': 'application/json', origin: ORIGIN };
      const ch = await run('POST', '/auth/challenge', {
        headers: json,
        body: JSON.stringify({ address: w.address }),
      });
      expect(ch.res.status).toBe(201);
      expect(ch.resolved).toBe(false); // the auth routes never reach the app
      const { message } = (await ch.res.json()) as { message: string };
      const vf = await run('POST', '/auth/verify', {
        headers: json,
        body: JSON.stringify({ message, signature: w.sign(message) }),
      });
      expect(vf.res.status).toBe(200);
      jar.take(vf.res);
      const tokens = (await vf.res.json()) as TokenResponse;
      const sessionCookie = [...jar.cookies].find(([, v]) => v === tokens.accessToken)?.[0];
      if (!sessionCookie) throw new Error('verify set no session cookie holding the access token');
      return { tokens, sessionCookie };
    },
  };
}

const html = { accept: 'text/html,application/xhtml+xml' };

describe('evrmoreAuthHandle', () => {
  it('serves /auth/* with the client address from getClientAddress()', async () => {
    const s = await setup();
    const jar = new Jar();
    await s.signIn(jar);
    const signIn = s.h.events.find((e) => e.type === 'signin.succeeded');
    expect(signIn?.ip).toBe('198.51.100.9');
  });

  it('a deny-listed client IP gets 403 ip_denied on every path, before the app or the session', async () => {
    const s = await setup();
    const jar = new Jar();
    await s.signIn(jar);
    await s.h.auth.ipLists.deny('198.51.100.0/24');
    for (const path of ['/', '/account', '/auth/session']) {
      const { res, resolved } = await s.run('GET', path, {
        headers: { ...html, cookie: jar.header() },
      });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('ip_denied');
      expect(resolved).toBe(false);
    }
    await s.h.auth.ipLists.remove('198.51.100.0/24');
    const ok = await s.run('GET', '/account', { headers: { ...html, cookie: jar.header() } });
    expect(ok.res.status).toBe(200);
  });

  it('signed out: locals.auth is null, the page renders, no cookie is set', async () => {
    const s = await setup();
    const { res, event, resolved } = await s.run('GET', '/', { headers: html });
    expect(resolved).toBe(true);
    expect(event.locals.auth).toBeNull();
    expect(await res.text()).toBe('<p>signed out</p>');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('signed in: locals.auth is the identity authenticate() gives, the page is private', async () => {
    const s = await setup();
    const jar = new Jar();
    const { tokens } = await s.signIn(jar);
    const { res, event } = await s.run('GET', '/', { headers: { ...html, cookie: jar.header() } });
    const w = wallet('42');
    expect(event.locals.auth?.address).toBe(w.address);
    expect(event.locals.auth?.sessionId).toBe(tokens.session.id);
    const bearer = await s.h.auth.authenticate({
      headers: new Headers({
        authorization: `Bearer ${tokens.accessToken}`,
        cookie: jar.header(),
      }),
    });
    expect(event.locals.auth).toEqual(bearer);
    expect(await res.text()).toBe(`<p>${w.address}</p>`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
  });

  it('guards protected paths: 303 to sign-in for pages and data requests, 401 otherwise', async () => {
    const s = await setup();
    const page = await s.run('GET', '/account/keys?tab=2', { headers: html });
    expect(page.resolved).toBe(false);
    expect(page.res.status).toBe(303);
    expect(page.res.headers.get('location')).toBe(
      `/signin?redirectTo=${encodeURIComponent('/account/keys?tab=2')}`,
    );
    // a client-side navigation asks for __data.json (kit turns the 303 into its JSON redirect)
    const data = await s.run('GET', '/admin', { headers: { accept: '*/*' }, isDataRequest: true });
    expect(data.res.status).toBe(303);
    const api = await s.run('GET', '/account', { headers: { accept: 'application/json' } });
    expect(api.res.status).toBe(401);
    expect(api.res.headers.get('content-type')).toContain('application/problem+json');
    expect((await problem(api.res)).code).toBe('token_missing');
    const post = await s.run('POST', '/account?/note', {
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=hi',
    });
    expect(post.res.status).toBe(401);
    expect(post.resolved).toBe(false);
    // not a prefix match on a longer name
    expect((await s.run('GET', '/accounts', { headers: html })).resolved).toBe(true);
    expect((await s.run('GET', '/administrator', { headers: html })).resolved).toBe(true);
  });

  it('renders a protected page when signed in, redirects with a custom signInPath', async () => {
    const s = await setup({ signInPath: '/login' });
    expect((await s.run('GET', '/account', { headers: html })).res.headers.get('location')).toBe(
      '/login?redirectTo=%2Faccount',
    );
    const jar = new Jar();
    await s.signIn(jar);
    const ok = await s.run('GET', '/account', { headers: { ...html, cookie: jar.header() } });
    expect(ok.resolved).toBe(true);
    expect(ok.res.status).toBe(200);
  });

  it('CSRF: a cookie-authenticated unsafe request from another origin is refused (403)', async () => {
    const s = await setup();
    const jar = new Jar();
    await s.signIn(jar);
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() };
    for (const origin of ['https://evil.example', 'http://app.example.com', 'null']) {
      const r = await s.run('POST', '/account?/note', {
        headers: { ...form, origin },
        body: 'n=1',
      });
      expect(r.res.status, origin).toBe(403);
      expect((await problem(r.res)).code).toBe('csrf_rejected');
      expect(r.resolved).toBe(false);
    }
    // a body-less cross-site request SvelteKit's own check ignores (no form content type)
    const blob = await s.run('DELETE', '/notes/1', {
      headers: { cookie: jar.header(), origin: 'https://evil.example' },
    });
    expect(blob.res.status).toBe(403);
    // no Origin at all: refused unless the browser says same-origin
    const bare = await s.run('POST', '/account?/note', { headers: form, body: 'n=1' });
    expect(bare.res.status).toBe(403);
    const sameSite = await s.run('POST', '/account?/note', {
      headers: { ...form, 'sec-fetch-site': 'same-origin' },
      body: 'n=1',
    });
    expect(sameSite.resolved).toBe(true);
    // the site's own origin: accepted, with the identity
    const own = await s.run('POST', '/account?/note', {
      headers: { ...form, origin: ORIGIN },
      body: 'n=1',
    });
    expect(own.resolved).toBe(true);
    expect(own.event.locals.auth?.address).toBe(wallet('42').address);
  });

  it('refreshes on the server when the session cookie is gone, forwarding the new cookies', async () => {
    const s = await setup();
    const jar = new Jar();
    const { sessionCookie, tokens } = await s.signIn(jar);
    // the browser dropped the session cookie at its Max-Age; the refresh cookie is still there
    jar.cookies.delete(sessionCookie);
    const { res, event } = await s.run('GET', '/account', {
      headers: { ...html, cookie: jar.header() },
    });
    expect(res.status).toBe(200);
    expect(event.locals.auth?.address).toBe(wallet('42').address);
    expect(event.locals.auth?.sessionId).toBe(tokens.session.id);
    const before = new Map(jar.cookies);
    jar.take(res);
    expect(jar.cookies.get(sessionCookie)).toBeTruthy();
    const rotated = [...jar.cookies].filter(([k, v]) => before.has(k) && before.get(k) !== v);
    expect(rotated.length).toBeGreaterThan(0); // the refresh token rotated
    // the new cookies work on the next request without another refresh
    const next = await s.run('GET', '/', { headers: { ...html, cookie: jar.header() } });
    expect(next.event.locals.auth?.sessionId).toBe(tokens.session.id);
    expect(next.res.headers.getSetCookie()).toEqual([]);
  });

  it('refreshes an expired session cookie (the JWT past its exp)', async () => {
    const s = await setup();
    const jar = new Jar();
    await s.signIn(jar);
    s.h.tick((s.h.auth.config.accessTokenTtlSeconds + 60) * 1000);
    const { res, event } = await s.run('GET', '/', { headers: { ...html, cookie: jar.header() } });
    expect(event.locals.auth?.address).toBe(wallet('42').address);
    expect(res.headers.getSetCookie().length).toBeGreaterThan(0);
  });

  it('revocation takes effect on the next request; the ended session is signed out', async () => {
    const s = await setup();
    const jar = new Jar();
    const { tokens } = await s.signIn(jar);
    expect(await s.h.auth.revokeSession(tokens.session.id)).toBe(true);
    const home = await s.run('GET', '/', { headers: { ...html, cookie: jar.header() } });
    expect(home.event.locals.auth).toBeNull();
    const page = await s.run('GET', '/account', { headers: { ...html, cookie: jar.header() } });
    expect(page.res.status).toBe(303);
    expect(page.resolved).toBe(false);
  });

  it('a failed server-side refresh clears the cookies on the redirect', async () => {
    const s = await setup();
    const jar = new Jar();
    const { sessionCookie, tokens } = await s.signIn(jar);
    jar.cookies.delete(sessionCookie);
    await s.h.auth.revokeSession(tokens.session.id);
    const page = await s.run('GET', '/account', { headers: { ...html, cookie: jar.header() } });
    expect(page.res.status).toBe(303);
    const cleared = page.res.headers.getSetCookie().filter((c) => c.includes('Max-Age=0'));
    expect(cleared.length).toBeGreaterThan(0);
    jar.take(page.res);
    expect(jar.cookies.size).toBeLessThan(3);
  });

  it('a store outage answers 503 (fail closed), never a signed-out page', async () => {
    const s = await setup();
    const jar = new Jar();
    await s.signIn(jar);
    const spy = vi.spyOn(s.h.store, 'getSession').mockRejectedValue(new StoreUnavailableError());
    try {
      const { res, resolved } = await s.run('GET', '/', {
        headers: { ...html, cookie: jar.header() },
      });
      expect(res.status).toBe(503);
      expect(resolved).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });

  it('skips the session lookup for a request without auth cookies (webhooks)', async () => {
    const s = await setup();
    const spy = vi.spyOn(s.h.auth, 'getSession');
    const hook = await s.run('POST', '/webhook', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(hook.resolved).toBe(true);
    expect(hook.event.locals.auth).toBeNull();
    // other cookies are no credential either: a cross-site post carrying them is the app's
    const other = await s.run('POST', '/webhook', {
      headers: { cookie: 'theme=dark; evrmore_auth_hint=1', origin: 'https://partner.example' },
      body: '{}',
    });
    expect(other.resolved).toBe(true);
    expect(spy).not.toHaveBeenCalled();
  });

  it('adds the cookies to a response with immutable headers', async () => {
    const s = await setup();
    const jar = new Jar();
    const { sessionCookie } = await s.signIn(jar);
    jar.cookies.delete(sessionCookie);
    const handle = evrmoreAuthHandle(s.h.auth);
    const event = kitEvent(new Request(`${ORIGIN}/go`, { headers: { cookie: jar.header() } }));
    const res = await handle({ event, resolve: async () => Response.redirect(`${ORIGIN}/`, 302) });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${ORIGIN}/`);
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${sessionCookie}=`))).toBe(true);
  });

  it('validates its arguments at start-up', async () => {
    const s = await setup();
    const bearerOnly = await createHarness();
    expect(() => evrmoreAuthHandle(bearerOnly.auth)).toThrow(
      'evrmoreAuthHandle: the auth needs cookie sessions: createEvrmoreAuth({ sessionCookie: true, … })',
    );
    expect(() => evrmoreAuthHandle({} as never)).toThrow(
      'evrmoreAuthHandle: pass the object createEvrmoreAuth returned',
    );
    expect(() => evrmoreAuthHandle(s.h.auth, { protect: ['account'] })).toThrow(
      /^evrmoreAuthHandle: protect/,
    );
    expect(() => evrmoreAuthHandle(s.h.auth, { signInPath: '//evil.example' })).toThrow(
      'evrmoreAuthHandle: signInPath must be a path on this site ("/signin")',
    );
    expect(() => evrmoreAuthHandle(s.h.auth, { getIp: 'x' as never })).toThrow(
      'evrmoreAuthHandle: getIp must be a function',
    );
    const custom = evrmoreAuthHandle(s.h.auth, { protect: (e) => e.url.pathname === '/x' });
    const res = await custom({
      event: kitEvent(new Request(`${ORIGIN}/x`, { headers: html })),
      resolve: async () => new Response('no'),
    });
    expect(res.status).toBe(303);
  });
});
