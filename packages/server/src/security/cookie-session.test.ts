// Cookie mode (issue 17) at the fetch-handler level: the session cookie and its attributes,
// auth.getSession (identity, server-side refresh, rotation and reuse detection, revocation),
// logout, store outage, the CSRF rule for every way in, and bearer mode left as it was.
import { EvrmoreAuthError, type TokenResponse } from '@evrmore-auth/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createHarness,
  edJwk,
  ORIGIN,
  problem,
  T0,
  wallet,
  type Harness,
} from '../../test/harness.js';
import { CookieJar, cookieAttributes } from '../../test/cookie-jar.js';
import { createEvrmoreAuth } from '../create-auth.js';
import { createMemoryStore } from '../stores/memory.js';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import type { EvrmoreAuthConfig } from '../config.js';
import type { AuthIdentity } from '../authenticate.js';
import { Secret } from 'otpauth';
import { generateTotpCode } from '../mfa/totp.js';

const SESSION = '__Host-evrmore-session';
const FGP = '__Host-evrmore-fgp';
const RT = '__Secure-evrmore-rt';

/** A cookie-mode harness, a signed-in browser's jar and the verify response's tokens. */
async function signedIn(overrides: Partial<EvrmoreAuthConfig> = {}, seed = '42') {
  const h = await createHarness({ sessionCookie: true, ...overrides });
  const w = wallet(seed);
  const { message } = await h.challenge(w);
  const res = await h.request('POST', '/auth/verify', {
    body: { message, signature: w.sign(message) },
    headers: { origin: ORIGIN },
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as TokenResponse;
  const jar = new CookieJar().apply(res);
  return { h, w, res, tokens, jar };
}

/** A page request as a browser sends it (same-origin navigation unless told). */
function page(jar: CookieJar, init: { method?: string; headers?: Record<string, string> } = {}) {
  const cookie = jar.header('/');
  return new Request(`${ORIGIN}/dashboard`, {
    method: init.method ?? 'GET',
    headers: { ...(cookie ? { cookie } : {}), ...(init.headers ?? {}) },
  });
}

/** A store whose session reads and rotations fail while `down.on`. */
function flakyStore(now: () => number) {
  const store = createMemoryStore({ now });
  const down = { on: false };
  const fail = () => Promise.reject(new StoreUnavailableError('store down at 10.0.0.5'));
  const flaky: AuthStore = {
    ...store,
    getSession: (id) => (down.on ? fail() : store.getSession(id)),
    rotateRefresh: (input) => (down.on ? fail() : store.rotateRefresh(input)),
  };
  return { flaky, down };
}

describe('cookie mode: cookies set by the sign-in, refresh and logout', () => {
  it('verify sets the session cookie (the access token): HttpOnly; SameSite=Lax; Path=/; Secure, __Host-, Max-Age = token lifetime', async () => {
    const { res, tokens, h } = await signedIn();
    const attrs = cookieAttributes(res);
    expect(res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION}=`))).toBe(
      `${SESSION}=${tokens.accessToken}; Path=/; Max-Age=900; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(h.auth.config.accessTokenTtlSeconds).toBe(900);
    expect(tokens.expiresIn).toBe(900);
    // __Host-: Secure, Path=/, no Domain
    expect(attrs[SESSION]!.some((a) => a.startsWith('Domain'))).toBe(false);
    // the refresh cookie moves to Path=/ and SameSite=Lax, the fingerprint cookie to Lax
    expect(attrs[RT]).toEqual([
      'Path=/',
      expect.stringMatching(/^Max-Age=\d+$/),
      'HttpOnly',
      'SameSite=Lax',
      'Secure',
    ]);
    expect(attrs[FGP]).toEqual([
      'Path=/',
      expect.stringMatching(/^Max-Age=\d+$/),
      'HttpOnly',
      'SameSite=Lax',
      'Secure',
    ]);
    // the JSON body still carries the same token (bearer mode works at the same time)
    expect(tokens.tokenType).toBe('Bearer');
  });

  it('cookies.secure false: the session cookie is evrmore-session without Secure; a custom name is used', async () => {
    const plain = await signedIn({ cookies: { secure: false } });
    expect(cookieAttributes(plain.res)['evrmore-session']).toEqual([
      'Path=/',
      'Max-Age=900',
      'HttpOnly',
      'SameSite=Lax',
    ]);
    const named = await signedIn({
      sessionCookie: { name: 'my-session' },
      accessTokenTtlSeconds: 300,
    });
    expect(named.jar.get('my-session')).toBe(named.tokens.accessToken);
    expect(cookieAttributes(named.res)['my-session']).toContain('Max-Age=300');
  });

  it('refresh sets a new session cookie with the new access token', async () => {
    const { h, jar } = await signedIn();
    h.tick(60_000);
    const rf = await h.request('POST', '/auth/refresh', {
      headers: { origin: ORIGIN, cookie: jar.header('/auth/refresh') },
    });
    expect(rf.status).toBe(200);
    const refreshed = (await rf.json()) as TokenResponse;
    const attrs = cookieAttributes(rf);
    expect(rf.headers.getSetCookie()).toContain(
      `${SESSION}=${refreshed.accessToken}; Path=/; Max-Age=900; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(attrs[RT]).toContain('Path=/');
    expect(attrs[RT]).toContain('SameSite=Lax');
  });

  it('logout (cookie-authenticated, same origin) revokes the session and clears every cookie', async () => {
    const { h, jar, tokens } = await signedIn();
    const out = await h.request('POST', '/auth/logout', {
      headers: { origin: ORIGIN, cookie: jar.header('/auth/logout') },
    });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie();
    for (const name of [SESSION, FGP, RT, 'evrmore_auth_hint'])
      expect(cleared.some((c) => c.startsWith(`${name}=;`) && c.includes('Max-Age=0'))).toBe(true);
    expect(cleared).toContain(
      `${SESSION}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
    );
    jar.apply(out);
    expect(jar.header('/')).toBe('');
    const session = await h.store.getSession(tokens.session.id);
    expect(session?.revokedAt).not.toBeNull();
  });
});

describe('cookie mode: auth.getSession', () => {
  it('returns the identity (address, session id, typed claims) of the session cookie, with no cookies to set', async () => {
    const clock = { t: T0 };
    const auth = createEvrmoreAuth<{ roles: string[] }>({
      domain: 'app.example.com',
      uri: ORIGIN,
      production: false,
      keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: await edJwk() }],
      now: () => clock.t,
      rateLimits: { enabled: false },
      sessionCookie: true,
      claims: () => ({ roles: ['editor'] }),
    });
    const w = wallet('43');
    const ch = await auth.issueChallenge(w.address);
    const result = await auth.signIn(ch.message, w.sign(ch.message));
    if (!('tokens' in result)) throw new Error('no tokens');
    const jar = new CookieJar().apply(result.setCookies);
    const session = await auth.getSession(page(jar));
    expectTypeOf(session.identity).toEqualTypeOf<AuthIdentity<{ roles: string[] }> | null>();
    expect(session.identity).not.toBeNull();
    expect(session.identity!.address).toBe(w.address);
    expect(session.identity!.sessionId).toBe(result.tokens.session.id);
    expect(session.identity!.claims.roles).toEqual(['editor']);
    expectTypeOf(session.identity!.claims.roles).toEqualTypeOf<string[]>();
    expect(session.setCookie).toEqual([]);
    // the same identity authenticate() gives for the bearer token
    const bearer = await auth.authenticate({
      headers: new Headers({
        authorization: `Bearer ${result.tokens.accessToken}`,
        cookie: `${FGP}=${jar.get(FGP)!}`,
      }),
    });
    expect(session.identity).toEqual(bearer);
    // a Headers-only object works too (taken as a safe request)
    expect(
      (await auth.getSession({ headers: new Headers({ cookie: jar.header('/') }) })).identity
        ?.address,
    ).toBe(w.address);
  });

  it('no cookies: identity null, nothing to set; without sessionCookie it is a TypeError', async () => {
    const h = await createHarness({ sessionCookie: true });
    expect(await h.auth.getSession(new Request(`${ORIGIN}/`))).toEqual({
      identity: null,
      setCookie: [],
    });
    const bearerOnly = await createHarness();
    await expect(bearerOnly.auth.getSession(new Request(`${ORIGIN}/`))).rejects.toThrow(TypeError);
  });

  it('the session cookie without its fingerprint cookie is not a session', async () => {
    const { h, jar } = await signedIn();
    jar.delete(FGP);
    jar.delete(RT);
    const s = await h.auth.getSession(page(jar));
    expect(s.identity).toBeNull();
  });

  it('refreshes on the server when the access cookie expired (browser dropped it): new cookies, rotated refresh token', async () => {
    const { h, jar, tokens, w } = await signedIn();
    const oldRefresh = jar.get(RT)!;
    h.tick(901_000 + 30_000);
    jar.delete(SESSION); // Max-Age passed: the browser no longer sends it
    const s = await h.auth.getSession(page(jar), { ip: '203.0.113.9' });
    expect(s.identity?.address).toBe(w.address);
    expect(s.identity?.sessionId).toBe(tokens.session.id);
    const attrs = cookieAttributes(s.setCookie);
    expect(Object.keys(attrs).sort()).toEqual([RT, SESSION, 'evrmore_auth_hint'].sort());
    jar.apply(s.setCookie);
    expect(jar.get(RT)).not.toBe(oldRefresh);
    expect(jar.get(SESSION)).not.toBe(tokens.accessToken);
    // the new session cookie is a session on the next request, with nothing more to set
    const next = await h.auth.getSession(page(jar));
    expect(next.identity?.sessionId).toBe(tokens.session.id);
    expect(next.setCookie).toEqual([]);
    expect(h.events.filter((e) => e.type === 'refresh.succeeded')).toHaveLength(1);
  });

  it('an expired session cookie still sent is refreshed too; refresh: false gives null and sets nothing', async () => {
    const { h, jar, w } = await signedIn();
    h.tick(900_000 + 31_000);
    const noRefresh = await h.auth.getSession(page(jar), { refresh: false });
    expect(noRefresh).toEqual({ identity: null, setCookie: [] });
    const s = await h.auth.getSession(page(jar));
    expect(s.identity?.address).toBe(w.address);
    expect(s.setCookie.some((c) => c.startsWith(`${SESSION}=ey`))).toBe(true);
  });

  it('concurrent server-side refreshes with the same refresh cookie get the same new set (grace window)', async () => {
    const { h, jar } = await signedIn();
    h.tick(931_000);
    jar.delete(SESSION);
    const [a, b] = await Promise.all([h.auth.getSession(page(jar)), h.auth.getSession(page(jar))]);
    expect(a.identity).not.toBeNull();
    expect(b.identity).not.toBeNull();
    expect(a.setCookie.find((c) => c.startsWith(`${RT}=`))).toBe(
      b.setCookie.find((c) => c.startsWith(`${RT}=`)),
    );
  });

  it('reuse detection: an old refresh cookie replayed after the grace window revokes the family and clears the cookies', async () => {
    const { h, jar, tokens } = await signedIn();
    const stolen = new CookieJar().apply(
      [...jar.cookies.values()].map((c) => `${c.name}=${c.value}; Path=${c.path}`),
    );
    h.tick(931_000);
    jar.delete(SESSION);
    const first = await h.auth.getSession(page(jar));
    expect(first.identity).not.toBeNull();
    jar.apply(first.setCookie);
    // past the 10 s grace window and the 60 s retry window (refreshRetrySeconds: a lost answer
    // may be retried while the new token is unused)
    h.tick(61_000);
    stolen.delete(SESSION);
    const replay = await h.auth.getSession(page(stolen));
    expect(replay.identity).toBeNull();
    const cleared = cookieAttributes(replay.setCookie);
    for (const name of [SESSION, RT, FGP]) expect(cleared[name]).toContain('Max-Age=0');
    expect(h.events.some((e) => e.type === 'refresh.reused')).toBe(true);
    // the whole session is revoked: the legitimate browser's new cookies are dead too
    expect((await h.store.getSession(tokens.session.id))?.revokedAt).not.toBeNull();
    const legit = await h.auth.getSession(page(jar));
    expect(legit.identity).toBeNull();
  });

  it('revocation takes effect on the very next getSession (token cache on)', async () => {
    const { h, jar, tokens } = await signedIn();
    expect((await h.auth.getSession(page(jar))).identity).not.toBeNull(); // cached now
    expect(await h.auth.revokeSession(tokens.session.id)).toBe(true);
    const s = await h.auth.getSession(page(jar));
    expect(s.identity).toBeNull();
    // the refresh cookie cannot bring it back; the cookies are cleared
    expect(cookieAttributes(s.setCookie)[SESSION]).toContain('Max-Age=0');
  });

  it('a store outage rejects with StoreUnavailableError (never a silent null); the routes answer 503', async () => {
    const clock = { t: T0 };
    const { flaky, down } = flakyStore(() => clock.t);
    const { h, jar } = await signedIn({ store: flaky, now: () => clock.t });
    down.on = true;
    await expect(h.auth.getSession(page(jar))).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(h.auth.authenticate(page(jar))).rejects.toBeInstanceOf(StoreUnavailableError);
    const res = await h.request('GET', '/auth/session', {
      headers: { cookie: jar.header('/auth/session') },
    });
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('unavailable');
    // the refresh path too
    jar.delete(SESSION);
    await expect(h.auth.getSession(page(jar))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(StoreUnavailableError.prototype).toBeInstanceOf(EvrmoreAuthError);
  });
});

describe('cookie mode: authenticate() and the auth routes take the session cookie', () => {
  it('authenticate accepts the session cookie without an Authorization header, never refreshes (token_expired)', async () => {
    const { h, jar, w } = await signedIn();
    expect((await h.auth.authenticate(page(jar))).address).toBe(w.address);
    h.tick(931_000);
    await expect(h.auth.authenticate(page(jar))).rejects.toMatchObject({ code: 'token_expired' });
    jar.delete(SESSION);
    await expect(h.auth.authenticate(page(jar))).rejects.toMatchObject({ code: 'token_missing' });
  });

  it('GET /auth/sessions, DELETE /auth/sessions/{id} and the MFA setup routes accept the session cookie; /auth/mfa/verify sets it', async () => {
    const mfaKey = btoa(
      String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255)),
    );
    const { h, jar, tokens, w } = await signedIn({
      mfa: { encryptionKeys: [{ id: 'k1', key: mfaKey }] },
    });
    const list = await h.request('GET', '/auth/sessions', {
      headers: { cookie: jar.header('/auth/sessions') },
    });
    expect(list.status).toBe(200);
    const setup = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: { origin: ORIGIN, cookie: jar.header('/auth/mfa') },
    });
    expect(setup.status).toBe(200);
    const secret = Secret.fromBase32(((await setup.json()) as { secret: string }).secret).bytes;
    const enable = await h.request('POST', '/auth/mfa/totp/enable', {
      headers: { origin: ORIGIN, cookie: jar.header('/auth/mfa') },
      body: { code: generateTotpCode(secret, h.clock.t) },
    });
    expect(enable.status).toBe(200);
    // a second sign-in needs the second factor; /auth/mfa/verify sets the session cookie
    const { message } = await h.challenge(w);
    const first = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
      headers: { origin: ORIGIN },
    });
    const { mfaToken } = (await first.json()) as { mfaToken: string };
    expect(first.headers.getSetCookie()).toEqual([]);
    h.tick(30_000);
    const mv = await h.request('POST', '/auth/mfa/verify', {
      body: { mfaToken, code: generateTotpCode(secret, h.clock.t) },
      headers: { origin: ORIGIN },
    });
    expect(mv.status).toBe(200);
    const mfaTokens = (await mv.json()) as TokenResponse;
    expect(mv.headers.getSetCookie()).toContain(
      `${SESSION}=${mfaTokens.accessToken}; Path=/; Max-Age=900; HttpOnly; SameSite=Lax; Secure`,
    );
    const mfaJar = new CookieJar().apply(mv);
    expect((await h.auth.getSession(page(mfaJar))).identity?.sessionId).toBe(mfaTokens.session.id);
    const del = await h.request('DELETE', `/auth/sessions/${tokens.session.id}`, {
      headers: { origin: ORIGIN, cookie: jar.header('/auth/sessions') },
    });
    expect(del.status).toBe(204);
    const after = await h.request('GET', '/auth/session', {
      headers: { cookie: jar.header('/auth/session') },
    });
    expect(after.status).toBe(401);
    expect((await problem(after)).code).toBe('token_revoked');
  });
});

describe('cookie mode: CSRF (Origin check against allowedOrigins, plus SameSite=Lax)', () => {
  const UNSAFE = ['POST', 'PUT', 'PATCH', 'DELETE'];

  async function expectRefused(h: Harness, request: Request): Promise<void> {
    await expect(h.auth.getSession(request.clone())).rejects.toMatchObject({
      code: 'csrf_rejected',
      status: 403,
    });
    await expect(h.auth.authenticate(request.clone())).rejects.toMatchObject({
      code: 'csrf_rejected',
    });
    const res = h.auth.errorResponse(new EvrmoreAuthError('csrf_rejected'));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  }
  async function expectAllowed(h: Harness, request: Request, address: string): Promise<void> {
    expect((await h.auth.getSession(request.clone())).identity?.address).toBe(address);
    expect((await h.auth.authenticate(request.clone())).address).toBe(address);
  }

  it.each(UNSAFE)('%s with a foreign Origin is refused', async (method) => {
    const { h, jar } = await signedIn();
    await expectRefused(h, page(jar, { method, headers: { origin: 'https://evil.example' } }));
  });

  it.each(UNSAFE)('%s with Origin: null is refused', async (method) => {
    const { h, jar } = await signedIn();
    await expectRefused(h, page(jar, { method, headers: { origin: 'null' } }));
  });

  it.each(UNSAFE)(
    '%s without Origin is refused, with Sec-Fetch-Site: same-origin allowed',
    async (method) => {
      const { h, jar, w } = await signedIn();
      await expectRefused(h, page(jar, { method }));
      await expectRefused(h, page(jar, { method, headers: { 'sec-fetch-site': 'cross-site' } }));
      await expectAllowed(
        h,
        page(jar, { method, headers: { 'sec-fetch-site': 'same-origin' } }),
        w.address,
      );
    },
  );

  it.each(UNSAFE)(
    '%s from an allowed origin is allowed (the uri origin and allowedOrigins entries)',
    async (method) => {
      const { h, jar, w } = await signedIn({
        allowedOrigins: [ORIGIN, 'https://admin.example.com'],
      });
      await expectAllowed(h, page(jar, { method, headers: { origin: ORIGIN } }), w.address);
      await expectAllowed(
        h,
        page(jar, { method, headers: { origin: 'https://admin.example.com' } }),
        w.address,
      );
    },
  );

  it('a form post (application/x-www-form-urlencoded) from a foreign Origin is refused', async () => {
    const { h, jar } = await signedIn();
    const form = new Request(`${ORIGIN}/posts`, {
      method: 'POST',
      headers: {
        cookie: jar.header('/'),
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'cross-site',
      },
      body: 'title=pwned',
    });
    await expectRefused(h, form);
  });

  it('a server action passes { method: "POST", headers }; headers alone are a safe request', async () => {
    const { h, jar, w } = await signedIn();
    const headers = new Headers({ cookie: jar.header('/'), origin: 'https://evil.example' });
    await expect(h.auth.getSession({ method: 'POST', headers })).rejects.toMatchObject({
      code: 'csrf_rejected',
    });
    expect((await h.auth.getSession({ headers })).identity?.address).toBe(w.address);
  });

  it('GET and HEAD are never refused (top-level navigations from other sites render signed in)', async () => {
    const { h, jar, w } = await signedIn();
    for (const method of ['GET', 'HEAD'])
      await expectAllowed(
        h,
        page(jar, {
          method,
          headers: { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' },
        }),
        w.address,
      );
  });

  it('the auth routes: cookie-authenticated DELETE /auth/sessions and POST /auth/logout from a foreign Origin are 403 csrf_rejected', async () => {
    const { h, jar, tokens } = await signedIn();
    const del = await h.request('DELETE', '/auth/sessions?scope=others', {
      headers: { origin: 'https://evil.example', cookie: jar.header('/auth/sessions') },
    });
    expect(del.status).toBe(403);
    expect(await problem(del)).toMatchObject({ code: 'csrf_rejected', status: 403 });
    const out = await h.request('POST', '/auth/logout', {
      headers: { cookie: jar.header('/auth/logout') }, // no Origin (logout CSRF)
    });
    expect(out.status).toBe(403);
    expect((await problem(out)).code).toBe('csrf_rejected');
    expect((await h.store.getSession(tokens.session.id))?.revokedAt).toBeNull();
  });

  it('login CSRF: /auth/verify from a foreign Origin is refused in cookie mode (no session planted)', async () => {
    const h = await createHarness({ sessionCookie: true });
    const w = wallet('44');
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await problem(res)).code).toBe('csrf_rejected');
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('bearer mode (sessionCookie off) is unchanged', () => {
  it('no session cookie is set; the refresh cookie stays Path=/auth, SameSite=Strict; a session-cookie-shaped cookie is ignored', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const w = wallet('45');
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    const attrs = cookieAttributes(res);
    expect(Object.keys(attrs).sort()).toEqual([FGP, RT, 'evrmore_auth_hint'].sort());
    expect(attrs[RT]).toEqual([
      'Path=/auth',
      expect.stringMatching(/^Max-Age=/),
      'HttpOnly',
      'SameSite=Strict',
      'Secure',
    ]);
    expect(attrs[FGP]).toContain('SameSite=Strict');
    const rf = await h.request('POST', '/auth/refresh', {
      headers: { origin: ORIGIN, cookie: `${RT}=${s.refreshToken}; ${FGP}=${s.fingerprint}` },
    });
    expect(rf.status).toBe(200);
    expect(Object.keys(cookieAttributes(rf)).sort()).toEqual([RT, 'evrmore_auth_hint'].sort());
    // a cookie carrying the token is not a credential in bearer mode
    await expect(
      h.auth.authenticate({
        headers: new Headers({
          cookie: `${SESSION}=${s.tokens.accessToken}; ${FGP}=${s.fingerprint}`,
        }),
      }),
    ).rejects.toMatchObject({ code: 'token_missing' });
    expect(h.auth.config.sessionCookie).toBeNull();
  });
});
