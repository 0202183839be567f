import type { TokenResponse } from '@evrmore-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { createTestAuth, ORIGIN, wallet } from '../../test/harness.js';
import { ADAPTERS, start, type AdapterName, type Running } from '../../test/adapter-servers.js';

const SECURITY = [
  'cache-control',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'content-security-policy',
];

const makeAuth = (): Promise<EvrmoreAuth> =>
  createTestAuth({ claims: () => ({ permissions: ['read'] }) });

/** Cookie name → attributes (value dropped), from a response's set-cookie headers. */
function cookieShapes(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) {
    const [pair, ...attrs] = c.split('; ');
    out[pair!.slice(0, pair!.indexOf('='))] = attrs
      .map((a) => (a.startsWith('Max-Age=') ? 'Max-Age' : a))
      .join('; ');
  }
  return out;
}
function cookieValue(res: Response, name: string): string {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    if (pair!.startsWith(`${name}=`)) return pair!.slice(name.length + 1);
  }
  throw new Error(`no ${name} cookie`);
}
function pick(res: Response, names: string[]): Record<string, string | null> {
  return Object.fromEntries(names.map((n) => [n, res.headers.get(n)]));
}

const servers = new Map<AdapterName, { auth: EvrmoreAuth; server: Running }>();
beforeAll(async () => {
  for (const name of ADAPTERS) {
    const auth = await makeAuth();
    servers.set(name, { auth, server: await start(name, auth) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
});

interface FlowRecord {
  verifyCookies: Record<string, string>;
  refreshCookies: Record<string, string>;
  logoutCookies: Record<string, string>;
  statuses: number[];
}
const flows = new Map<AdapterName, FlowRecord>();

describe.each(ADAPTERS)('route flow through %s', (name) => {
  it('challenge → verify → session → refresh → guarded routes → logout → revoked', async () => {
    const { auth, server } = servers.get(name)!;
    const { fingerprintName, refreshName } = auth.config.cookies;
    const w = wallet('7' + ADAPTERS.indexOf(name));
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const statuses: number[] = [];

    const ch = await post('/auth/challenge', { address: w.address });
    statuses.push(ch.status);
    expect(ch.status).toBe(201);
    const { message } = (await ch.json()) as { message: string };
    expect(message).toContain(w.address);

    const vf = await post('/auth/verify', { message, signature: w.sign(message) });
    statuses.push(vf.status);
    expect(vf.status).toBe(200);
    const tokens = (await vf.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('Bearer');
    expect(tokens.session.address).toBe(w.address);
    // the socket IP reached the handler
    expect(tokens.session.ip).toBe('127.0.0.1');
    const verifyCookies = cookieShapes(vf);
    const fgp = cookieValue(vf, fingerprintName);
    const rt = cookieValue(vf, refreshName);
    const authHeaders = (token: string) => ({
      authorization: `Bearer ${token}`,
      cookie: `${fingerprintName}=${fgp}`,
    });

    const session = await fetch(`${server.url}/auth/session`, {
      headers: authHeaders(tokens.accessToken),
    });
    statuses.push(session.status);
    expect(session.status).toBe(200);
    expect(((await session.json()) as { id: string }).id).toBe(tokens.session.id);

    const rf = await post(
      '/auth/refresh',
      {},
      { origin: ORIGIN, cookie: `${refreshName}=${rt}; ${fingerprintName}=${fgp}` },
    );
    statuses.push(rf.status);
    expect(rf.status).toBe(200);
    expect(rf.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const refreshed = (await rf.json()) as TokenResponse;
    expect(cookieValue(rf, refreshName)).not.toBe(rt);
    const refreshCookies = cookieShapes(rf);

    const me = await fetch(`${server.url}/api/me`, { headers: authHeaders(refreshed.accessToken) });
    statuses.push(me.status);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ address: w.address, sessionId: tokens.session.id });

    const anonymous = await fetch(`${server.url}/api/me`);
    statuses.push(anonymous.status);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    expect(((await anonymous.json()) as { code: string }).code).toBe('token_missing');
    // RFC 6750 §3: no credentials → a bare challenge, no error code.
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');

    const admin = await fetch(`${server.url}/api/admin`, {
      headers: authHeaders(refreshed.accessToken),
    });
    statuses.push(admin.status);
    expect(admin.status).toBe(403);
    expect(((await admin.json()) as { code: string }).code).toBe('insufficient_scope');
    expect(admin.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope"');

    const out = await post('/auth/logout', {}, authHeaders(refreshed.accessToken));
    statuses.push(out.status);
    expect(out.status).toBe(204);
    expect(await out.text()).toBe('');
    const logoutCookies = cookieShapes(out);

    const after = await fetch(`${server.url}/api/me`, {
      headers: authHeaders(refreshed.accessToken),
    });
    statuses.push(after.status);
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('token_revoked');
    expect(after.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

    flows.set(name, { verifyCookies, refreshCookies, logoutCookies, statuses });
  });
});

interface Shape {
  status: number;
  code: string;
  headers: Record<string, string | null>;
}
async function shape(res: Response): Promise<Shape> {
  const body = (await res.json()) as { code: string; status: number };
  expect(body.status).toBe(res.status);
  return {
    status: res.status,
    code: body.code,
    headers: pick(res, [
      'content-type',
      'allow',
      'retry-after',
      'x-powered-by',
      'www-authenticate',
      ...SECURITY,
    ]),
  };
}

/** A request with a body of the given content type (`what`: "METHOD /path"). */
function withBody(url: string, what: string, type: string, body: BodyInit): Promise<Response> {
  const [method, path] = what.split(' ');
  return fetch(`${url}${path}`, { method, headers: { 'content-type': type }, body });
}

const errorCases: Array<[string, (url: string) => Promise<Response>]> = [
  ['404', (url) => fetch(`${url}/auth/nope`)],
  ['405', (url) => fetch(`${url}/auth/challenge`)],
  [
    '404 (POST with an unread body, twice on one keep-alive connection)',
    async (url) => {
      const send = () =>
        withBody(
          url,
          'POST /auth/nope',
          'application/json',
          JSON.stringify({ pad: 'x'.repeat(12_000) }),
        );
      await (await send()).text();
      return send();
    },
  ],
  [
    '405 (DELETE with a body)',
    (url) => withBody(url, 'DELETE /auth/verify', 'application/json', '{}'),
  ],
  [
    '413',
    (url) =>
      withBody(
        url,
        'POST /auth/challenge',
        'application/json',
        JSON.stringify({ address: 'E'.repeat(20_000) }),
      ),
  ],
  [
    '413 (chunked, no content-length)',
    (url) =>
      fetch(`${url}/auth/challenge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode('x'.repeat(8192)));
            c.close();
          },
        }),
        duplex: 'half',
      } as RequestInit),
  ],
  ['415', (url) => withBody(url, 'POST /auth/challenge', 'text/plain', 'address=E')],
  [
    '415 (form)',
    (url) =>
      withBody(
        url,
        'POST /auth/verify',
        'application/x-www-form-urlencoded',
        'message=a&signature=b',
      ),
  ],
  [
    '400 (invalid JSON)',
    (url) => withBody(url, 'POST /auth/challenge', 'application/json', '{"address":'),
  ],
];

errorCases.push(
  ['401 requireAuth, no credentials', (url) => fetch(`${url}/api/me`)],
  [
    '401 requireAuth, a malformed token',
    (url) => fetch(`${url}/api/me`, { headers: { authorization: 'Bearer not.a.jwt' } }),
  ],
  [
    '401 GET /auth/session, a malformed token',
    (url) => fetch(`${url}/auth/session`, { headers: { authorization: 'Bearer not.a.jwt' } }),
  ],
);

describe('identical across adapters', () => {
  it.each(errorCases)('error %s', async (_label, send) => {
    const shapes = new Map<AdapterName, Shape>();
    for (const name of ADAPTERS)
      shapes.set(name, await shape(await send(servers.get(name)!.server.url)));
    const baseline = shapes.get('fetch')!;
    expect(baseline.headers['content-type']).toBe('application/problem+json');
    expect(baseline.headers['x-frame-options']).toBe('DENY');
    expect(baseline.headers['cache-control']).toBe('no-store');
    if (baseline.status === 401)
      expect(baseline.headers['www-authenticate']).toMatch(/^Bearer( error="invalid_token")?$/);
    else expect(baseline.headers['www-authenticate']).toBeNull();
    for (const name of ADAPTERS)
      expect({ name, ...shapes.get(name)! }).toEqual({ name, ...baseline });
  });

  it('CORS preflight', async () => {
    const seen = new Map<AdapterName, { status: number; headers: Record<string, string | null> }>();
    for (const name of ADAPTERS) {
      const res = await fetch(`${servers.get(name)!.server.url}/auth/refresh`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(await res.text()).toBe('');
      seen.set(name, {
        status: res.status,
        headers: pick(res, [
          'access-control-allow-origin',
          'access-control-allow-credentials',
          'access-control-allow-methods',
          'access-control-allow-headers',
          'allow',
          ...SECURITY,
        ]),
      });
    }
    const baseline = seen.get('fetch')!;
    expect(baseline.status).toBe(204);
    expect(baseline.headers['access-control-allow-origin']).toBe(ORIGIN);
    for (const name of ADAPTERS)
      expect({ name, ...seen.get(name)! }).toEqual({ name, ...baseline });
  });

  it('flow statuses and set-cookie attributes', () => {
    expect([...flows.keys()].sort()).toEqual([...ADAPTERS].sort());
    const baseline = flows.get('fetch')!;
    expect(baseline.statuses).toEqual([201, 200, 200, 200, 200, 401, 403, 204, 401]);
    // The refresh and fingerprint cookies are HttpOnly; the session hint is script-readable.
    expect(baseline.verifyCookies).toMatchObject({
      '__Secure-evrmore-rt': expect.stringContaining('HttpOnly'),
      '__Host-evrmore-fgp': expect.stringContaining('HttpOnly'),
      evrmore_auth_hint: 'Path=/; Max-Age; SameSite=Lax; Secure',
    });
    for (const name of ADAPTERS)
      expect({ name, ...flows.get(name)! }).toEqual({ name, ...baseline });
  });
});
