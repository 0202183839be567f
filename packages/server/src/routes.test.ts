// Every success row and every server-produced error code of PROTOCOL.md §3–7, through `handler`.
import { EvrmoreAuthError, evrmoreTestnet, parseSignInMessage } from '@evrmore-auth/core';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { createMemoryStore } from './stores/memory.js';
import { StoreUnavailableError } from './store.js';
import { ORIGIN, T0, createHarness, problem, wallet } from '../test/harness.js';

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

function expectSecurityHeaders(res: Response, https = true): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(k), k).toBe(v);
  if (https) expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  else expect(res.headers.get('strict-transport-security')).toBeNull();
}

describe('POST /auth/challenge', () => {
  it('201 with the message, nonce and times; the message has the configured fields', async () => {
    const h = await createHarness({ statement: 'Sign in to Example.' });
    const w = wallet();
    const res = await h.request('POST', '/auth/challenge', { body: { address: w.address } });
    expect(res.status).toBe(201);
    expectSecurityHeaders(res);
    const body = (await res.json()) as {
      message: string;
      nonce: string;
      issuedAt: string;
      expiresAt: string;
    };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'issuedAt', 'message', 'nonce']);
    const f = parseSignInMessage(body.message);
    expect(f).toMatchObject({
      domain: 'app.example.com',
      address: w.address,
      statement: 'Sign in to Example.',
      uri: ORIGIN,
      chainId: 'evrmore:mainnet',
      nonce: body.nonce,
      issuedAt: new Date(T0).toISOString(),
      expirationTime: new Date(T0 + 300_000).toISOString(),
    });
    expect(body.nonce).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(body.expiresAt).toBe(f.expirationTime);
    expect(h.events.map((e) => e.type)).toEqual(['challenge.issued']);
  });

  it('400 invalid_address and 400 wrong_network', async () => {
    const h = await createHarness();
    const bad = await h.request('POST', '/auth/challenge', {
      body: { address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr6' },
    });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).code).toBe('invalid_address');
    const testnet = wallet('42', evrmoreTestnet).address;
    const wrong = await h.request('POST', '/auth/challenge', { body: { address: testnet } });
    expect(wrong.status).toBe(400);
    expect((await problem(wrong)).code).toBe('wrong_network');
  });

  it('a testnet server issues evrmore:testnet challenges and signs testnet addresses in', async () => {
    const h = await createHarness({ network: evrmoreTestnet });
    const s = await h.signIn(wallet('42', evrmoreTestnet));
    expect(s.tokens.session.address).toMatch(/^[mn]/);
  });
});

describe('POST /auth/verify', () => {
  it('200 token response, both cookies, session; claims-provider claims land in the token without overriding reserved ones', async () => {
    const h = await createHarness({
      claims: ({ address, reason }) => ({
        roles: ['member'],
        permissions: ['posts:read'],
        sub: 'evil',
        sid: 'evil',
        reason,
        addr: address,
      }),
    });
    const w = wallet();
    const s = await h.signIn(w);
    expect(s.tokens).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      expiresAt: new Date(T0 + 900_000).toISOString(),
    });
    expect(s.tokens.session).toEqual({
      id: s.tokens.session.id,
      address: w.address,
      createdAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 30 * 86_400_000).toISOString(),
      userAgent: null,
      ip: '203.0.113.7',
    });
    const id = await h.auth.authenticate(new Request(`${ORIGIN}/api`, { headers: s.authHeaders }));
    expect(id.address).toBe(w.address);
    expect(id.sessionId).toBe(s.tokens.session.id);
    expect(id.claims).toMatchObject({
      sub: w.address,
      sid: s.tokens.session.id,
      roles: ['member'],
      reason: 'sign-in',
      addr: w.address,
      iss: ORIGIN,
      aud: ORIGIN,
    });
    expect(typeof id.claims.jti).toBe('string');
    expect(id.claims.exp! - id.claims.iat!).toBe(900);
    expect(h.events.find((e) => e.type === 'signin.succeeded')).toMatchObject({
      address: w.address,
      sessionId: s.tokens.session.id,
      ip: '203.0.113.7',
    });
  });

  it('401 invalid_signature (another key) with a signin.failed event carrying the code', async () => {
    const h = await createHarness();
    const w = wallet();
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: wallet('07').sign(message) },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('invalid_signature');
    expect(h.events.at(-1)).toMatchObject({
      type: 'signin.failed',
      code: 'invalid_signature',
      address: w.address,
    });
    expect(JSON.stringify(h.events)).not.toContain(wallet('07').sign(message));
  });

  it('400 invalid_message, invalid_signature_encoding; 401 challenge_unknown for a well-formed unknown nonce', async () => {
    const h = await createHarness();
    const w = wallet();
    const m = await h.request('POST', '/auth/verify', {
      body: { message: 'app.example.com wants you to sign in', signature: 'x' },
    });
    expect([m.status, (await problem(m)).code]).toEqual([400, 'invalid_message']);
    const { message } = await h.challenge(w);
    const e = await h.request('POST', '/auth/verify', { body: { message, signature: 'AAAA' } });
    expect([e.status, (await problem(e)).code]).toEqual([400, 'invalid_signature_encoding']);
    const u = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect([u.status, (await problem(u)).code]).toEqual([401, 'challenge_unknown']);
  });

  it('an address enrolled in MFA does not get tokens from the signature alone (fails closed until the MFA issue lands)', async () => {
    const store = createMemoryStore({ now: () => T0 });
    const h = await createHarness({ store });
    const w = wallet();
    await store.putMfa({
      address: w.address,
      totpSecretEnc: 'x',
      pendingSecretEnc: null,
      enabled: true,
      backupCodeHashes: [],
      lastTotpStep: 0,
      updatedAt: T0,
    });
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect(res.status).not.toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('sessions, logout, JWKS', () => {
  it('GET /auth/session is the caller’s session marked current; GET /auth/sessions lists only the caller’s', async () => {
    const h = await createHarness();
    const a1 = await h.signIn();
    h.tick(1000);
    const a2 = await h.signIn();
    await h.signIn(wallet('07'));
    const me = await h.request('GET', '/auth/session', { headers: a1.authHeaders });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: a1.tokens.session.id, current: true });
    const list = await h.request('GET', '/auth/sessions', { headers: a1.authHeaders });
    const { sessions } = (await list.json()) as { sessions: { id: string; current: boolean }[] };
    expect(sessions.map((s) => [s.id, s.current])).toEqual([
      [a2.tokens.session.id, false],
      [a1.tokens.session.id, true],
    ]);
  });

  it('DELETE /auth/sessions/{id}: own → 204 and revoked; another user’s or unknown → 404', async () => {
    const h = await createHarness();
    const a1 = await h.signIn();
    const a2 = await h.signIn();
    const b = await h.signIn(wallet('07'));
    const other = await h.request('DELETE', `/auth/sessions/${b.tokens.session.id}`, {
      headers: a1.authHeaders,
    });
    expect([other.status, (await problem(other)).code]).toEqual([404, 'not_found']);
    expect((await h.request('GET', '/auth/session', { headers: b.authHeaders })).status).toBe(200);
    const unknown = await h.request('DELETE', '/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA', {
      headers: a1.authHeaders,
    });
    expect(unknown.status).toBe(404);
    const own = await h.request('DELETE', `/auth/sessions/${a2.tokens.session.id}`, {
      headers: a1.authHeaders,
    });
    expect(own.status).toBe(204);
    expectSecurityHeaders(own);
    expect(
      (await problem(await h.request('GET', '/auth/session', { headers: a2.authHeaders }))).code,
    ).toBe('token_revoked');
    expect(h.events.filter((e) => e.type === 'session.revoked')).toHaveLength(1);
  });

  it('DELETE /auth/sessions?scope=others revokes every other session of the caller only', async () => {
    const h = await createHarness();
    const a1 = await h.signIn();
    const a2 = await h.signIn();
    const b = await h.signIn(wallet('07'));
    const noScope = await h.request('DELETE', '/auth/sessions', { headers: a1.authHeaders });
    expect([noScope.status, (await problem(noScope)).code]).toEqual([400, 'invalid_request']);
    const res = await h.request('DELETE', '/auth/sessions?scope=others', {
      headers: a1.authHeaders,
    });
    expect(res.status).toBe(204);
    expect((await h.request('GET', '/auth/session', { headers: a1.authHeaders })).status).toBe(200);
    expect(
      (await problem(await h.request('GET', '/auth/session', { headers: a2.authHeaders }))).code,
    ).toBe('token_revoked');
    expect((await h.request('GET', '/auth/session', { headers: b.authHeaders })).status).toBe(200);
  });

  it('POST /auth/logout: 204, session revoked, cookies cleared, refresh token dead', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const res = await h.request('POST', '/auth/logout', { headers: s.authHeaders, body: {} });
    expect(res.status).toBe(204);
    const cleared = res.headers.getSetCookie();
    expect(cleared.map((c) => c.slice(0, c.indexOf('=')))).toEqual([
      '__Secure-evrmore-rt',
      '__Host-evrmore-fgp',
      'evrmore_auth_hint',
    ]);
    for (const c of cleared) expect(c).toMatch(/=; Path=[^;]+; Max-Age=0/);
    expect(
      (await problem(await h.request('GET', '/auth/session', { headers: s.authHeaders }))).code,
    ).toBe('token_revoked');
    const r = await h.request('POST', '/auth/refresh', {
      headers: {
        'x-requested-with': 'evrmore-auth',
        cookie: `__Secure-evrmore-rt=${s.refreshToken}`,
      },
    });
    expect((await problem(r)).code).toBe('refresh_invalid');
    expect(h.events.find((e) => e.type === 'session.revoked')).toMatchObject({
      detail: { reason: 'logout' },
    });
  });

  it('GET /auth/jwks.json lists public keys only', async () => {
    const h = await createHarness();
    const res = await h.request('GET', '/auth/jwks.json');
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: 'k1',
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('authenticate({ permissions }) → 403 insufficient_scope without them', async () => {
    const h = await createHarness({ claims: () => ({ permissions: ['posts:read'] }) });
    const s = await h.signIn();
    const req = () => new Request(`${ORIGIN}/api`, { headers: s.authHeaders });
    await expect(
      h.auth.authenticate(req(), { permissions: ['posts:read'] }),
    ).resolves.toMatchObject({ sessionId: s.tokens.session.id });
    const err = await h.auth
      .authenticate(req(), { permissions: ['posts:write'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthError);
    const res = h.auth.errorResponse(err, req());
    expect(res.status).toBe(403);
    expect((await problem(res)).code).toBe('insufficient_scope');
    expectSecurityHeaders(res);
  });
});

describe('RFC 6750: WWW-Authenticate on bearer-protected routes', () => {
  const www = (res: Response): string | null => res.headers.get('www-authenticate');

  it('no credentials → 401 `Bearer` without an error; a bad, expired or revoked token or a foreign fingerprint → error="invalid_token"', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    for (const [method, path] of [
      ['GET', '/auth/session'],
      ['GET', '/auth/sessions'],
      ['DELETE', '/auth/sessions/abc'],
      ['POST', '/auth/logout'],
      ['POST', '/auth/mfa/totp/setup'],
      ['POST', '/auth/mfa/totp/enable'],
      ['POST', '/auth/mfa/totp/disable'],
    ] as const) {
      const res = await h.request(method, path, method === 'POST' ? { body: {} } : {});
      expect(res.status, path).toBe(401);
      expect((await problem(res)).code, path).toBe('token_missing');
      expect(www(res), path).toBe('Bearer');
    }
    const garbage = await h.request('GET', '/auth/session', {
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect((await problem(garbage)).code).toBe('token_invalid');
    expect(www(garbage)).toBe('Bearer error="invalid_token"');
    const foreign = await h.request('GET', '/auth/session', {
      headers: { authorization: s.authHeaders.authorization! },
    });
    expect((await problem(foreign)).code).toBe('fingerprint_mismatch');
    expect(www(foreign)).toBe('Bearer error="invalid_token"');
    const other = await h.signIn();
    await h.request('POST', '/auth/logout', { headers: other.authHeaders, body: {} });
    const revoked = await h.request('GET', '/auth/sessions', { headers: other.authHeaders });
    expect((await problem(revoked)).code).toBe('token_revoked');
    expect(www(revoked)).toBe('Bearer error="invalid_token"');
    h.tick(3_600_000);
    const expired = await h.request('GET', '/auth/session', { headers: s.authHeaders });
    expect((await problem(expired)).code).toBe('token_expired');
    expect(www(expired)).toBe('Bearer error="invalid_token"');
  });

  it('400 invalid_request on a bearer route → error="invalid_request"; 403 insufficient_scope → error="insufficient_scope"', async () => {
    const h = await createHarness({ claims: () => ({ permissions: ['posts:read'] }) });
    const s = await h.signIn();
    const res = await h.request('DELETE', '/auth/sessions', { headers: s.authHeaders });
    expect(res.status).toBe(400);
    expect(www(res)).toBe('Bearer error="invalid_request"');
    const req = new Request(`${ORIGIN}/api`, { headers: s.authHeaders });
    const err = await h.auth.authenticate(req, { permissions: ['admin'] }).catch((e: unknown) => e);
    const forbidden = h.auth.errorResponse(err, req);
    expect(forbidden.status).toBe(403);
    expect(www(forbidden)).toBe('Bearer error="insufficient_scope"');
    const missing = await h.auth
      .authenticate(new Request(`${ORIGIN}/api`))
      .catch((e: unknown) => e);
    expect(www(h.auth.errorResponse(missing))).toBe('Bearer');
    // An application's own 400 passed to errorResponse is not about bearer credentials.
    const own = h.auth.errorResponse(new EvrmoreAuthError('invalid_request'));
    expect(www(own)).toBeNull();
  });

  it('routes that are not bearer-protected send no WWW-Authenticate (sign-in, refresh, challenge)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const refresh = await h.request('POST', '/auth/refresh', {
      headers: {
        'x-requested-with': 'evrmore-auth',
        cookie: `__Secure-evrmore-rt=${s.refreshToken}`,
      },
    });
    expect((await problem(refresh)).code).toBe('fingerprint_mismatch');
    expect(www(refresh)).toBeNull();
    const verify = await h.request('POST', '/auth/verify', {
      body: { message: 'x', signature: 'y' },
    });
    expect(verify.status).toBe(400);
    expect(www(verify)).toBeNull();
    const challenge = await h.request('POST', '/auth/challenge', { body: {} });
    expect(www(challenge)).toBeNull();
  });
});

describe('session hint cookie (lets the client skip /refresh for anonymous visitors)', () => {
  const hintOf = (res: Response) =>
    res.headers.getSetCookie().find((c) => c.startsWith('evrmore_auth_hint='));

  async function verify(h: Awaited<ReturnType<typeof createHarness>>) {
    const w = wallet();
    const { message } = await h.challenge(w);
    return h.request('POST', '/auth/verify', { body: { message, signature: w.sign(message) } });
  }

  it('is set with the refresh cookie on sign-in and refresh, script-readable, no secret', async () => {
    const h = await createHarness();
    const res = await verify(h);
    expect(res.status).toBe(200);
    const refresh = res.headers.getSetCookie().find((c) => c.startsWith('__Secure-evrmore-rt='))!;
    const maxAge = /Max-Age=(\d+)/.exec(refresh)![1];
    expect(hintOf(res)).toBe(
      `evrmore_auth_hint=1; Path=/; Max-Age=${maxAge}; SameSite=Lax; Secure`,
    );

    const s = await h.signIn();
    h.tick(60_000);
    const r = await h.request('POST', '/auth/refresh', {
      headers: {
        origin: ORIGIN,
        cookie: `__Secure-evrmore-rt=${s.refreshToken}; __Host-evrmore-fgp=${s.fingerprint}`,
      },
    });
    expect(r.status).toBe(200);
    expect(hintOf(r)).toMatch(/^evrmore_auth_hint=1; Path=\/; Max-Age=\d+; SameSite=Lax; Secure$/);
  });

  it('is cleared with the refresh cookie when a refresh fails', async () => {
    const h = await createHarness();
    const r = await h.request('POST', '/auth/refresh', {
      headers: { origin: ORIGIN, cookie: '__Secure-evrmore-rt=unknown; __Host-evrmore-fgp=x' },
    });
    expect(r.status).toBe(401);
    expect(hintOf(r)).toMatch(/^evrmore_auth_hint=; Path=\/; Max-Age=0; SameSite=Lax; Secure/);
  });

  it('cookies.hintName renames it; false turns it off', async () => {
    const named = await createHarness({ cookies: { hintName: 'has-session' } });
    const res = await verify(named);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('has-session=1; Path=/;'))).toBe(
      true,
    );
    const off = await createHarness({ cookies: { hintName: false } });
    const res2 = await verify(off);
    expect(res2.status).toBe(200);
    expect(res2.headers.getSetCookie()).toHaveLength(2);
    expect(() =>
      resolveConfig({
        domain: 'app.example.com',
        cookies: { hintName: '__Host-x', secure: false },
      }),
    ).toThrow(/cookies\.hintName with a __Host-\/__Secure- prefix needs cookies\.secure/);
  });
});

describe('HTTP behaviour', () => {
  it('404 not_found for unknown paths under the base path, 405 with allow for wrong methods', async () => {
    const h = await createHarness();
    const nf = await h.request('GET', '/auth/nope');
    expect([nf.status, (await problem(nf)).code]).toEqual([404, 'not_found']);
    expect(nf.headers.get('content-type')).toBe('application/problem+json');
    const outside = await h.request('GET', '/elsewhere');
    expect(outside.status).toBe(404);
    const m = await h.request('GET', '/auth/challenge');
    expect([m.status, (await problem(m)).code]).toEqual([405, 'method_not_allowed']);
    expect(m.headers.get('allow')).toBe('POST, OPTIONS');
    expectSecurityHeaders(m);
    const d = await h.request('PUT', '/auth/sessions');
    expect(d.headers.get('allow')).toBe('GET, DELETE, OPTIONS');
  });

  it('CORS only for configured origins, with credentials, never *; preflight handled', async () => {
    const h = await createHarness({ allowedOrigins: [ORIGIN, 'https://admin.example.com'] });
    const pre = await h.request('OPTIONS', '/auth/verify', {
      headers: { origin: 'https://admin.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const evil = await h.request('OPTIONS', '/auth/verify', {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await problem(evil)).code).toBe('origin_forbidden');
    const simple = await h.request('POST', '/auth/challenge', {
      headers: { origin: 'https://evil.example' },
      body: { address: wallet().address },
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    await expect(createHarness({ allowedOrigins: ['*'] })).rejects.toThrow(TypeError);
  });

  it('HSTS only over https; x-request-id echoed when sane, generated otherwise', async () => {
    const h = await createHarness();
    const plain = await h.auth.handler(
      new Request('http://app.example.com/auth/jwks.json', {
        headers: { 'x-request-id': 'abc-123' },
      }),
    );
    expectSecurityHeaders(plain, false);
    expect(plain.headers.get('x-request-id')).toBe('abc-123');
    const weird = await h.auth.handler(
      new Request('https://app.example.com/auth/jwks.json', {
        headers: { 'x-request-id': 'a b<script>' },
      }),
    );
    expect(weird.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('a store outage is 503 unavailable (fail closed), logged, without internals', async () => {
    const store = createMemoryStore();
    const logged: object[] = [];
    const h = await createHarness({
      store: {
        ...store,
        name: 'broken',
        putChallenge: () => Promise.reject(new StoreUnavailableError('redis down at 10.0.0.5')),
        getSession: () => Promise.reject(new Error('ECONNRESET')),
      },
      logger: { info: () => undefined, warn: () => undefined, error: (o) => logged.push(o) },
    });
    const res = await h.request('POST', '/auth/challenge', { body: { address: wallet().address } });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'unavailable', status: 503 });
    expect(text).not.toContain('10.0.0.5');
    expect(logged.length).toBeGreaterThan(0);
  });

  it('unknown errors are 500 with a generic body; rate_limited is 429 with retry-after', async () => {
    const h = await createHarness({
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const res = h.auth.errorResponse(new Error('secret internals'));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('secret');
    const rl = h.auth.errorResponse(new EvrmoreAuthError('rate_limited', { retryAfter: 12.2 }));
    expect(rl.status).toBe(429);
    expect(rl.headers.get('retry-after')).toBe('13');
  });

  it('client IP: x-forwarded-for ignored without trustedProxies, used with a hop count or a proxy list', async () => {
    const xff = { 'x-forwarded-for': '198.51.100.1, 192.0.2.9' };
    const ipOf = async (cfg: Parameters<typeof createHarness>[0], peer: string) => {
      const h = await createHarness(cfg);
      const w = wallet();
      const c = await h.auth.handler(
        new Request(`${ORIGIN}/auth/challenge`, {
          method: 'POST',
          headers: { ...xff, 'content-type': 'application/json' },
          body: JSON.stringify({ address: w.address }),
        }),
        { ip: peer },
      );
      expect(c.status).toBe(201);
      return h.events[0]!.ip;
    };
    expect(await ipOf({}, '10.0.0.2')).toBe('10.0.0.2');
    expect(await ipOf({ trustedProxies: 1 }, '10.0.0.2')).toBe('192.0.2.9');
    expect(await ipOf({ trustedProxies: 2 }, '10.0.0.2')).toBe('198.51.100.1');
    expect(await ipOf({ trustedProxies: ['10.0.0.2', '192.0.2.9'] }, '10.0.0.2')).toBe(
      '198.51.100.1',
    );
    expect(await ipOf({ trustedProxies: ['10.0.0.3'] }, '10.0.0.2')).toBe('10.0.0.2');
  });
});
