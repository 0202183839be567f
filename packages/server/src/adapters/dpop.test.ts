// DPoP through every adapter over real HTTP: requireAuth (and authenticate with a fetch Request)
// match the proof against the URL the server received, behind a trusted proxy the https one; with
// nonces on, a successful DPoP answer carries a fresh DPoP-Nonce; a replayed proof and a proof
// from another key are audit events.
import type { TokenResponse } from '@evrmore-auth/core';
import * as DPoP from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import type { AuthEvent } from '../events.js';
import { createTestAuth, wallet } from '../../test/harness.js';
import { ADAPTERS, start, type AdapterName, type Running } from '../../test/adapter-servers.js';

/** POST a JSON body to `server`. */
function post(server: Running, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** A challenge for `w` from `server`, signed: the body of `POST /auth/verify`. */
async function signedChallenge(server: Running, w: ReturnType<typeof wallet>) {
  const ch = await post(server, '/auth/challenge', { address: w.address });
  const { message } = (await ch.json()) as { message: string };
  return { message, signature: w.sign(message) };
}

/** The `name=value` of the fingerprint cookie a sign-in answer sets. */
function fingerprintCookie(auth: EvrmoreAuth, response: Response): string {
  return response.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${auth.config.cookies.fingerprintName}=`))!
    .split(';')[0]!;
}

const servers = new Map<AdapterName, { auth: EvrmoreAuth; server: Running }>();
beforeAll(async () => {
  for (const name of ADAPTERS) {
    // The peer (127.0.0.1) is a trusted proxy: its x-forwarded-proto decides the proof's scheme.
    const auth = await createTestAuth({
      dpop: { mode: 'allowed' },
      trustedProxies: ['127.0.0.1'],
      rateLimits: { enabled: false },
    });
    servers.set(name, { auth, server: await start(name, auth) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
});

describe.each(ADAPTERS)('DPoP through %s', (name) => {
  it('a bound token with its proof passes requireAuth; another URL, a replay, Bearer are refused', async () => {
    const { auth, server } = servers.get(name)!;
    const key = await DPoP.generateKeyPair('ES256');
    const w = wallet('5' + ADAPTERS.indexOf(name));
    const vf = await post(server, '/auth/verify', await signedChallenge(server, w), {
      dpop: await DPoP.generateProof(key, `${server.url}/auth/verify`, 'POST'),
    });
    expect(vf.status).toBe(200);
    const tokens = (await vf.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('DPoP');
    const fgp = fingerprintCookie(auth, vf);
    const me = (dpop: string, extra: Record<string, string> = {}, scheme = 'DPoP') =>
      fetch(`${server.url}/api/me`, {
        headers: { authorization: `${scheme} ${tokens.accessToken}`, cookie: fgp, dpop, ...extra },
      });
    const proof = (url: string) =>
      DPoP.generateProof(key, url, 'GET', undefined, tokens.accessToken);

    const good = await proof(`${server.url}/api/me`);
    const ok = await me(good);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { address: string }).address).toBe(w.address);

    const replay = await me(good);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe('dpop_proof_invalid');
    expect(replay.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"',
    );

    const elsewhere = await me(await proof(`${server.url}/api/admin`));
    expect(((await elsewhere.json()) as { code: string }).code).toBe('dpop_proof_invalid');

    const asBearer = await me(await proof(`${server.url}/api/me`), {}, 'Bearer');
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_token", algs="ES256 EdDSA"',
    );

    // Behind the trusted proxy that terminated TLS, the proof names the https URL.
    const httpsUrl = `${server.url.replace('http:', 'https:')}/api/me`;
    const proxied = await me(await proof(httpsUrl), { 'x-forwarded-proto': 'https' });
    expect(proxied.status).toBe(200);
    const plainUrl = await me(await proof(`${server.url}/api/me`), {
      'x-forwarded-proto': 'https',
    });
    expect(plainUrl.status).toBe(401);
  });
});

const NONCE_SECRET = 'a nonce secret of at least 32 bytes, shared';
const audited = new Map<AdapterName, { auth: EvrmoreAuth; server: Running; events: AuthEvent[] }>();
describe('DPoP resource answers with nonces on, and their audit events', () => {
  beforeAll(async () => {
    for (const name of ADAPTERS) {
      const events: AuthEvent[] = [];
      const auth = await createTestAuth({
        dpop: { mode: 'allowed', nonce: { secret: NONCE_SECRET } },
        trustedProxies: ['127.0.0.1'],
        rateLimits: { enabled: false },
        onEvent: (e) => void events.push(e),
      });
      audited.set(name, { auth, server: await start(name, auth), events });
    }
  });
  afterAll(async () => {
    for (const { server } of audited.values()) await server.close();
  });

  it.each(ADAPTERS)(
    '%s: a success carries a fresh DPoP-Nonce and no event; a replay and another key are one event each',
    async (name) => {
      const { auth, server, events } = audited.get(name)!;
      const key = await DPoP.generateKeyPair('ES256');
      const thief = await DPoP.generateKeyPair('ES256');
      const w = wallet('6' + ADAPTERS.indexOf(name));
      const body = await signedChallenge(server, w);
      const verify = (nonce?: string) =>
        DPoP.generateProof(key, `${server.url}/auth/verify`, 'POST', nonce);
      const first = await post(server, '/auth/verify', body, { dpop: await verify() });
      expect(first.status).toBe(400);
      const signInNonce = first.headers.get('dpop-nonce')!;
      const vf = await post(server, '/auth/verify', body, { dpop: await verify(signInNonce) });
      expect(vf.status).toBe(200);
      const tokens = (await vf.json()) as TokenResponse;
      const fgp = fingerprintCookie(auth, vf);
      const ua = 'audit-test/1.0';
      const me = (dpop: string) =>
        fetch(`${server.url}/api/me`, {
          headers: {
            authorization: `DPoP ${tokens.accessToken}`,
            cookie: fgp,
            dpop,
            'user-agent': ua,
            'x-forwarded-for': '203.0.113.9',
            'x-request-id': `req-${name}`,
          },
        });
      const proof = (k: typeof key, nonce: string) =>
        DPoP.generateProof(k, `${server.url}/api/me`, 'GET', nonce, tokens.accessToken);

      events.length = 0; // the sign-in's own events
      const good = await proof(key, signInNonce);
      const ok = await me(good);
      expect(ok.status).toBe(200);
      // The current nonce: a proof made with it is accepted.
      const fresh = ok.headers.get('dpop-nonce');
      expect(fresh).toMatch(/^[0-9a-z]+\.[\w-]{43}$/);
      expect((await me(await proof(key, fresh!))).status).toBe(200);
      expect(events).toEqual([]);

      // A proof for another URL (not a replay, not another key) is refused without an event.
      const elsewhere = await fetch(`${server.url}/api/me`, {
        headers: {
          authorization: `DPoP ${tokens.accessToken}`,
          cookie: fgp,
          dpop: await DPoP.generateProof(
            key,
            `${server.url}/api/admin`,
            'GET',
            fresh!,
            tokens.accessToken,
          ),
        },
      });
      expect(elsewhere.status).toBe(401);
      expect(events).toEqual([]);

      const expected = (type: string, code: string) => ({
        type,
        at: expect.any(String),
        requestId: `req-${name}`,
        ip: '203.0.113.9',
        userAgent: ua,
        address: w.address,
        sessionId: tokens.session.id,
        code,
        detail: { route: 'resource', method: 'GET', path: '/api/me' },
      });
      const replay = await me(good);
      expect(replay.status).toBe(401);
      expect(((await replay.json()) as { code: string }).code).toBe('dpop_proof_invalid');
      expect(events).toEqual([expected('dpop.proof_replayed', 'dpop_proof_invalid')]);

      events.length = 0;
      const stolen = await proof(thief, fresh!);
      const wrongKey = await me(stolen);
      expect(wrongKey.status).toBe(401);
      expect(((await wrongKey.json()) as { code: string }).code).toBe('dpop_key_mismatch');
      expect(events).toEqual([expected('dpop.key_mismatch', 'dpop_key_mismatch')]);
      // never the token or the proof
      expect(JSON.stringify(events)).not.toContain(tokens.accessToken.slice(-20));
      expect(JSON.stringify(events)).not.toContain(stolen.slice(-20));
    },
  );

  it.each(ADAPTERS)('%s: a bearer request gets no DPoP-Nonce', async (name) => {
    const { auth, server } = audited.get(name)!;
    const w = wallet('7' + ADAPTERS.indexOf(name));
    const ch = await fetch(`${server.url}/auth/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: w.address }),
    });
    const { message } = (await ch.json()) as { message: string };
    const vf = await fetch(`${server.url}/auth/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message, signature: w.sign(message) }),
    });
    const tokens = (await vf.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('Bearer');
    const fgp = vf.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${auth.config.cookies.fingerprintName}=`))!
      .split(';')[0]!;
    const res = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, cookie: fgp },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('dpop-nonce')).toBeNull();
  });
});
