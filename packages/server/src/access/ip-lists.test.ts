// IP allow/deny lists: CIDR parsing (IPv4, IPv6, typed errors), a deny-listed client refused 403
// ip_denied on every route before any work while 127.0.0.1 works, allow-listed clients never
// rate-limited, requireAuth({ allowListedIp }), and the per-instance cache (a change made here
// applies at once; one made on another instance within cacheTtlSeconds) — over real HTTP on
// loopback with the memory store. Redis and Postgres: test/store-conformance/ip-lists.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, createTestAuth, wallet } from '../../test/harness.js';
import {
  ADAPTERS,
  call,
  GUARDED,
  signInOverHttp,
  startAccessApp,
  type AccessApp,
} from '../../test/access-servers.js';
import { createEvrmoreAuth } from '../create-auth.js';
import { createMemoryStore } from '../stores/memory.js';
import { StoreUnavailableError, type AuthStore } from '../store.js';
import { canonicalCidr, InvalidIpRangeError } from './ip-lists.js';

const apps: AccessApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('CIDR input', () => {
  it('canonicalises IPv4 and IPv6 addresses and ranges', () => {
    expect(canonicalCidr('127.0.0.2')).toBe('127.0.0.2/32');
    expect(canonicalCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalCidr(' 192.168.1.0/24 ')).toBe('192.168.1.0/24');
    expect(canonicalCidr('::ffff:10.0.0.1')).toBe('10.0.0.1/32');
    expect(canonicalCidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(canonicalCidr('2001:DB8:0:0::1')).toBe('2001:db8::1/128');
    expect(canonicalCidr('2001:db8:1:2:3:4:5:6/64')).toBe('2001:db8:1:2::/64');
    expect(canonicalCidr('[2001:db8::1]')).toBe('2001:db8::1/128');
  });

  it.each([
    ['10.0.0.0/33'],
    ['10.0.0/8'],
    ['127.1'],
    ['2001:db8::/129'],
    ['2001:db8::g'],
    ['10.0.0.0/'],
    ['10.0.0.0/8/8'],
    ['example.com'],
    [''],
  ])('refuses %j with InvalidIpRangeError', (input) => {
    let caught: unknown;
    try {
      canonicalCidr(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidIpRangeError);
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as InvalidIpRangeError).code).toBe('invalid_ip_range');
  });

  it('refuses bad ipLists options at start-up and bad runtime input with a typed error', async () => {
    const base = { domain: 'app.example.com', production: false };
    expect(() => createEvrmoreAuth({ ...base, ipLists: { deny: ['10.0.0.0/40'] } })).toThrow(
      /^createEvrmoreAuth: ipLists\.deny\[0\]: "10\.0\.0\.0\/40" is not an IP address or CIDR range/,
    );
    expect(() => createEvrmoreAuth({ ...base, ipLists: { cacheTtlSeconds: -1 } })).toThrow(
      'createEvrmoreAuth: ipLists.cacheTtlSeconds must be an integer from 0 to 3600',
    );
    const auth = await createTestAuth();
    await expect(auth.ipLists.deny('300.1.1.1')).rejects.toBeInstanceOf(InvalidIpRangeError);
    await expect(auth.ipLists.allow('10.0.0.0/8', { expiresInSeconds: 0 })).rejects.toThrow(
      'ipLists.allow: expiresInSeconds must be an integer from 1 to 31536000',
    );
    await expect(auth.ipLists.check('nope')).rejects.toBeInstanceOf(InvalidIpRangeError);
    expect(await auth.ipLists.list()).toEqual([]);
  });
});

describe('matching', () => {
  it('matches IPv4 and IPv6 ranges; deny wins over allow; expiry ends a rule', async () => {
    const h = await createHarness({
      ipLists: { allow: ['10.0.0.0/8', '2001:db8:a::/48'], deny: ['10.9.0.0/16'] },
    });
    const { ipLists } = h.auth;
    expect(await ipLists.check('10.1.2.3')).toBe('allow');
    expect(await ipLists.check('10.9.9.9')).toBe('deny');
    expect(await ipLists.check('::ffff:10.1.2.3')).toBe('allow');
    expect(await ipLists.check('11.0.0.1')).toBeNull();
    expect(await ipLists.check('2001:db8:a:ffff::1')).toBe('allow');
    expect(await ipLists.check('2001:db8:b::1')).toBeNull();
    await ipLists.deny('2001:db8:a:1::/64', { expiresInSeconds: 60, note: 'scanner' });
    expect(await ipLists.check('2001:db8:a:1:ffff::9')).toBe('deny');
    expect(await ipLists.check('2001:db8:a:2::9')).toBe('allow');
    h.tick(60_000);
    expect(await ipLists.check('2001:db8:a:1:ffff::9')).toBe('allow');
    expect((await ipLists.list()).map((r) => [r.list, r.cidr, r.source])).toEqual([
      ['allow', '10.0.0.0/8', 'config'],
      ['allow', '2001:db8:a::/48', 'config'],
      ['deny', '10.9.0.0/16', 'config'],
    ]);
  });
});

/** A memory store that counts every operation except the IP-list ones (the "work"). */
function countingStore(): { store: AuthStore; calls: string[] } {
  const inner = createMemoryStore();
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || String(prop).includes('IpRule')) return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe.each(ADAPTERS)('deny and allow lists over HTTP: %s', (adapter) => {
  it('refuses 127.0.0.2 with 403 ip_denied on every route before any work; 127.0.0.1 works', async () => {
    const { store, calls } = countingStore();
    let claimsAsked = 0;
    const auth = await createTestAuth({
      store,
      ipLists: { deny: ['127.0.0.2'] },
      rateLimits: { enabled: false },
      claims: () => {
        claimsAsked++;
        return undefined;
      },
    });
    const app = await startAccessApp(adapter, auth);
    apps.push(app);
    const w = wallet('c3');
    const ok = await signInOverHttp(app.url, auth, w, '127.0.0.1');
    expect((await call(`${app.url}/api/me`, { headers: ok.headers })).status).toBe(200);

    const worked = { calls: calls.length, claims: claimsAsked, handled: app.handled.count };
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/auth/challenge', { address: w.address }],
      ['POST', '/auth/verify', { message: 'x', signature: 'y' }],
      ['POST', '/auth/refresh'],
      ['GET', '/auth/session'],
      ['GET', '/auth/sessions'],
      ['POST', '/auth/logout'],
      ['GET', '/auth/jwks.json'],
      ['GET', '/auth/nope'],
      ...Object.keys(GUARDED).map((p): [string, string] => ['GET', p]),
      ...(adapter === 'fetch'
        ? []
        : [['POST', '/api/echo', { a: 1 }] as [string, string, unknown]]),
    ];
    for (const [method, path, body] of routes) {
      const res = await call(`${app.url}${path}`, {
        method,
        headers: ok.headers, // valid credentials do not help a denied IP
        from: '127.0.0.2',
        ...(body === undefined ? {} : { body }),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body), `${method} ${path}`).toMatchObject({ code: 'ip_denied' });
    }
    // no store operation, claims provider or app handler ran for any of them
    expect({ calls: calls.length, claims: claimsAsked, handled: app.handled.count }).toEqual(
      worked,
    );
    // 127.0.0.1 still works
    expect((await call(`${app.url}/api/me`, { headers: ok.headers })).status).toBe(200);
    if (adapter !== 'fetch')
      expect((await call(`${app.url}/api/echo`, { body: { a: 1 } })).body).toBe('{"a":1}');
  });

  it('never rate-limits an allow-listed IP, while a listed-nowhere one is limited; allowListedIp guards a route', async () => {
    const auth = await createTestAuth({
      ipLists: { allow: ['127.0.0.1/32'] },
      rateLimits: { challenge: { perIp: { points: 3, duration: 600 } } },
    });
    const app = await startAccessApp(adapter, auth);
    apps.push(app);
    const w = wallet('d4');
    const challenge = (from: string) =>
      call(`${app.url}/auth/challenge`, { body: { address: w.address }, from });
    for (let i = 0; i < 20; i++) expect((await challenge('127.0.0.1')).status).toBe(201);
    const others: number[] = [];
    for (let i = 0; i < 6; i++) others.push((await challenge('127.0.0.3')).status);
    expect(others).toEqual([201, 201, 201, 429, 429, 429]);

    // an admin route open only to the allow list
    const inside = await signInOverHttp(app.url, auth, w, '127.0.0.1');
    expect((await call(`${app.url}/api/internal`, { headers: inside.headers })).status).toBe(200);
    const outside = await call(`${app.url}/api/internal`, {
      headers: inside.headers,
      from: '127.0.0.4',
    });
    expect(outside.status).toBe(403);
    expect(JSON.parse(outside.body)).toMatchObject({ code: 'ip_denied' });
    // other routes stay open to it
    expect(
      (await call(`${app.url}/api/me`, { headers: inside.headers, from: '127.0.0.4' })).status,
    ).toBe(200);
  });
});

describe('cookie mode', () => {
  it('getSession refuses a deny-listed client IP with ip_denied; others get their session', async () => {
    const h = await createHarness({ sessionCookie: true });
    const s = await h.signIn();
    const { fingerprintName } = h.auth.config.cookies;
    const page = () =>
      new Request('https://app.example.com/dashboard', {
        headers: {
          cookie: `${h.auth.config.sessionCookie!.name}=${s.tokens.accessToken}; ${fingerprintName}=${s.fingerprint}`,
        },
      });
    await h.auth.ipLists.deny('127.0.0.2');
    await expect(h.auth.getSession(page(), { ip: '127.0.0.2' })).rejects.toMatchObject({
      code: 'ip_denied',
      status: 403,
    });
    expect((await h.auth.getSession(page(), { ip: '127.0.0.1' })).identity?.address).toBe(
      wallet().address,
    );
  });
});

describe('runtime changes and the per-instance cache', () => {
  it('applies a change made through this instance at once, and one made on another within the TTL', async () => {
    const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
    const now = () => clock.t;
    const store = createMemoryStore({ now }); // shared by both instances
    const a = await createTestAuth({ store, now, ipLists: { cacheTtlSeconds: 5 } });
    const b = await createTestAuth({ store, now, ipLists: { cacheTtlSeconds: 5 } });
    const req = () => new Request('https://app.example.com/auth/jwks.json');
    expect((await b.handler(req(), { ip: '127.0.0.2' })).status).toBe(200); // b reads the lists
    const rule = await a.ipLists.deny('127.0.0.2', { note: 'abuse' });
    expect(rule).toMatchObject({
      list: 'deny',
      cidr: '127.0.0.2/32',
      note: 'abuse',
      expiresAt: null,
    });
    expect((await a.handler(req(), { ip: '127.0.0.2' })).status).toBe(403); // at once here
    clock.t += 4_999;
    expect((await b.handler(req(), { ip: '127.0.0.2' })).status).toBe(200); // b's copy is fresh
    clock.t += 1;
    expect((await b.handler(req(), { ip: '127.0.0.2' })).status).toBe(403); // re-read after 5 s
    expect((await b.handler(req(), { ip: '127.0.0.1' })).status).toBe(200);

    expect(await b.ipLists.remove('127.0.0.2/32')).toBe(true);
    expect((await b.handler(req(), { ip: '127.0.0.2' })).status).toBe(200);
    expect(await b.ipLists.remove('127.0.0.2')).toBe(false);
  });

  it('fails closed (503) when the store cannot be read the first time, then uses its last copy', async () => {
    const inner = createMemoryStore();
    let down = true;
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'listIpRules')
          return (at: number) =>
            down ? Promise.reject(new StoreUnavailableError()) : inner.listIpRules(at);
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
    const auth = await createTestAuth({ store, now: () => clock.t });
    const req = () => new Request('https://app.example.com/auth/jwks.json');
    expect((await auth.handler(req(), { ip: '127.0.0.9' })).status).toBe(503);
    down = false;
    await inner.putIpRule({
      list: 'deny',
      cidr: '127.0.0.9/32',
      note: null,
      createdAt: 0,
      expiresAt: null,
    });
    expect((await auth.handler(req(), { ip: '127.0.0.9' })).status).toBe(403);
    down = true;
    clock.t += 10_000;
    expect((await auth.handler(req(), { ip: '127.0.0.9' })).status).toBe(403); // last copy
  });
});
