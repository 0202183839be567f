// The resource server over real HTTP: an auth server and an API on two ports (two origins), one
// Redis behind both (two store clients). Each refusal with its code and WWW-Authenticate.
import { serve, type ServerType } from '@hono/node-server';
import type { TokenResponse } from '@evrmore-auth/core';
import * as DPoP from 'dpop';
import { createLocalJWKSet } from 'jose';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieValue, edJwk, wallet } from '../../test/harness.js';
import { createEvrmoreAuth, type EvrmoreAuth } from '../create-auth.js';
import { createRedisStore } from '../stores/redis.js';
import { createMemoryStore } from '../stores/memory.js';
import type { AuthStore } from '../store.js';
import { createResourceServer } from '../resource.js';
import type { AuthEvent } from '../events.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `evrauth-test-resource-${process.pid}-${Date.now()}:`;
const ALGS = 'algs="ES256 EdDSA"';

const listen = (fetch: (r: Request) => Response | Promise<Response>): Promise<ServerType> =>
  new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(server));
  });
const portOf = (s: ServerType): number => (s.address() as AddressInfo).port;
const close = (s: ServerType): Promise<void> => new Promise((r) => s.close(() => r()));

let authServer: ServerType;
let apiServer: ServerType;
let auth: EvrmoreAuth;
let authOrigin: string;
let apiOrigin: string;
const authStore = createRedisStore({ url: REDIS_URL, keyPrefix });
const apiStore = createRedisStore({ url: REDIS_URL, keyPrefix });

beforeAll(async () => {
  let handler: (r: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  authServer = await listen((r) => handler(r));
  authOrigin = `http://127.0.0.1:${portOf(authServer)}`;
  auth = createEvrmoreAuth({
    domain: `127.0.0.1:${portOf(authServer)}`,
    uri: authOrigin,
    production: false,
    keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: await edJwk() }],
    store: authStore,
    dpop: { mode: 'allowed' },
    rateLimits: { enabled: false },
  });
  handler = (r) => auth.handler(r, { ip: '127.0.0.1' });

  const options = {
    issuer: auth.config.issuer,
    audience: auth.config.audience,
    jwks: new URL(`${authOrigin}/auth/jwks.json`),
    store: apiStore,
  };
  const strict = createResourceServer({ ...options, sessionCheck: true });
  const lax = createResourceServer(options);
  const app = new Hono();
  for (const [path, api] of [
    ['/api/me', strict],
    ['/api/lax', lax],
  ] as const)
    app.on(['GET', 'POST'], path, async (c) => {
      try {
        const { address, sessionId, dpopNonce } = await api.authenticate(c.req.raw);
        const res = c.json({ address, sessionId });
        if (dpopNonce !== undefined) res.headers.set('dpop-nonce', dpopNonce);
        return res;
      } catch (err) {
        return api.errorResponse(err);
      }
    });
  apiServer = await listen(app.fetch);
  apiOrigin = `http://127.0.0.1:${portOf(apiServer)}`;
});

afterAll(async () => {
  await close(apiServer);
  await close(authServer);
  const admin = new Redis(REDIS_URL);
  const keys = await admin.keys(`${keyPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
  await authStore.close();
  await apiStore.close();
});

type Key = Awaited<ReturnType<typeof DPoP.generateKeyPair>>;

/** Sign in over HTTP, with a proof of `key` (a DPoP-bound session) or without (bearer). */
async function signIn(key: Key | null, seed = '42') {
  const w = wallet(seed);
  const ch = await fetch(`${authOrigin}/auth/challenge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ address: w.address }),
  });
  const { message } = (await ch.json()) as { message: string };
  const verifyUrl = `${authOrigin}/auth/verify`;
  const res = await fetch(verifyUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { dpop: await DPoP.generateProof(key, verifyUrl, 'POST') } : {}),
    },
    body: JSON.stringify({ message, signature: w.sign(message) }),
  });
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as TokenResponse;
  const fgp = auth.config.cookies.fingerprintName;
  return { tokens, address: w.address, cookie: `${fgp}=${cookieValue(res, fgp)}` };
}

/** Call the API with `authorization` and `dpop` as given. */
const callApi = (path: string, headers: Record<string, string>, method = 'GET') =>
  fetch(`${apiOrigin}${path}`, { method, headers });

async function problemOf(res: Response): Promise<{ code: string; status: number }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { code: string; status: number };
}

describe('createResourceServer over HTTP (auth server and API on two origins, one Redis)', () => {
  it('accepts a DPoP-bound token with a proof for its own URL, with no cookie', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    expect(s.tokens.tokenType).toBe('DPoP');
    const token = s.tokens.accessToken;
    const res = await callApi('/api/me', {
      authorization: `DPoP ${token}`,
      dpop: await DPoP.generateProof(key, `${apiOrigin}/api/me`, 'GET', undefined, token),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ address: s.address, sessionId: s.tokens.session.id });
    expect(res.headers.get('dpop-nonce')).toBeNull(); // nonces are off
  });

  it('no credentials: 401 token_missing with WWW-Authenticate: DPoP algs', async () => {
    const res = await callApi('/api/me', {});
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe('token_missing');
    expect(res.headers.get('www-authenticate')).toBe(`DPoP ${ALGS}`);
  });

  it('a bound token sent as Bearer, and an unbound token sent as DPoP, are 401 token_invalid', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const bound = await signIn(key);
    const asBearer = await callApi('/api/me', {
      authorization: `Bearer ${bound.tokens.accessToken}`,
      dpop: await DPoP.generateProof(
        key,
        `${apiOrigin}/api/me`,
        'GET',
        undefined,
        bound.tokens.accessToken,
      ),
    });
    expect(asBearer.status).toBe(401);
    expect((await problemOf(asBearer)).code).toBe('token_invalid');
    expect(asBearer.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);

    // A bearer token (sign-in without a proof), even with its fingerprint cookie and a proof.
    const plain = await signIn(null);
    expect(plain.tokens.tokenType).toBe('Bearer');
    for (const scheme of ['Bearer', 'DPoP']) {
      const res = await callApi('/api/lax', {
        authorization: `${scheme} ${plain.tokens.accessToken}`,
        cookie: plain.cookie,
        dpop: await DPoP.generateProof(
          key,
          `${apiOrigin}/api/lax`,
          'GET',
          undefined,
          plain.tokens.accessToken,
        ),
      });
      expect(res.status).toBe(401);
      expect((await problemOf(res)).code).toBe('token_invalid');
    }
  });

  it("a proof made with another key than the token's is 401 dpop_key_mismatch", async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const thief = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const res = await callApi('/api/me', {
      authorization: `DPoP ${token}`,
      dpop: await DPoP.generateProof(thief, `${apiOrigin}/api/me`, 'GET', undefined, token),
    });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe('dpop_key_mismatch');
    expect(res.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
  });

  it('a proof for another token (ath), another URL (the auth origin) or another method is 401 dpop_proof_invalid', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const other = await signIn(key, '43');
    const token = s.tokens.accessToken;
    const proofs = [
      DPoP.generateProof(key, `${apiOrigin}/api/me`, 'GET', undefined, other.tokens.accessToken),
      DPoP.generateProof(key, `${authOrigin}/api/me`, 'GET', undefined, token),
      DPoP.generateProof(key, `${apiOrigin}/api/me`, 'POST', undefined, token),
      DPoP.generateProof(key, `${apiOrigin}/api/me`, 'GET'),
    ];
    for (const proof of proofs) {
      const res = await callApi('/api/me', { authorization: `DPoP ${token}`, dpop: await proof });
      expect(res.status).toBe(401);
      expect((await problemOf(res)).code).toBe('dpop_proof_invalid');
      expect(res.headers.get('www-authenticate')).toBe(`DPoP error="invalid_dpop_proof", ${ALGS}`);
    }
    // Without a proof at all.
    const none = await callApi('/api/me', { authorization: `DPoP ${token}` });
    expect((await problemOf(none)).code).toBe('dpop_proof_invalid');
  });

  it('a replayed proof is refused, also when it was spent at the auth server (one store, two clients)', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const url = `${apiOrigin}/api/me`;
    const proof = await DPoP.generateProof(key, url, 'GET', undefined, token);
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    expect((await callApi('/api/me', headers)).status).toBe(200);
    const again = await callApi('/api/me', headers);
    expect(again.status).toBe(401);
    expect((await problemOf(again)).code).toBe('dpop_proof_invalid');

    // The auth server's authenticate (behind the same public URL) spends a proof first.
    const second = await DPoP.generateProof(key, url, 'GET', undefined, token);
    const identity = await auth.authenticate(
      new Request(url, { headers: { ...headers, dpop: second, cookie: s.cookie } }),
    );
    expect(identity.address).toBe(s.address);
    const replayed = await callApi('/api/me', { ...headers, dpop: second });
    expect(replayed.status).toBe(401);
    expect((await problemOf(replayed)).code).toBe('dpop_proof_invalid');
  });

  it('sessionCheck: a revoked session is refused at once (token_revoked); without it the token lives until exp', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const call = async (path: string) =>
      callApi(path, {
        authorization: `DPoP ${token}`,
        dpop: await DPoP.generateProof(key, `${apiOrigin}${path}`, 'GET', undefined, token),
      });
    expect((await call('/api/me')).status).toBe(200);
    await auth.revokeSession(s.tokens.session.id);
    const revoked = await call('/api/me');
    expect(revoked.status).toBe(401);
    expect((await problemOf(revoked)).code).toBe('token_revoked');
    expect((await call('/api/lax')).status).toBe(200);
  });

  it('an unreachable JWKS is 503 unavailable (fail closed), not a 500 or an accepted token', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const gone = await listen(() => new Response('not json', { status: 200 }));
    const api = createResourceServer({
      issuer: auth.config.issuer,
      audience: auth.config.audience,
      jwks: new URL(`http://127.0.0.1:${portOf(gone)}/jwks.json`),
      store: apiStore,
    });
    await close(gone);
    const url = `${apiOrigin}/x`;
    const err = await api
      .authenticate(
        new Request(url, {
          headers: {
            authorization: `DPoP ${s.tokens.accessToken}`,
            dpop: await DPoP.generateProof(key, url, 'GET', undefined, s.tokens.accessToken),
          },
        }),
      )
      .catch((e: unknown) => e);
    const res = api.errorResponse(err);
    expect(res.status).toBe(503);
    expect((await problemOf(res)).code).toBe('unavailable');
  });

  it('with nonces on: 401 use_dpop_nonce carrying DPoP-Nonce, then accepted with that nonce', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const api = createResourceServer({
      issuer: auth.config.issuer,
      audience: auth.config.audience,
      jwks: new URL(`${authOrigin}/auth/jwks.json`),
      store: apiStore,
      dpop: { nonce: { secret: 'n'.repeat(32) } },
    });
    const url = `${apiOrigin}/nonce`;
    const request = async (nonce?: string) =>
      new Request(url, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await DPoP.generateProof(key, url, 'GET', nonce, token),
        },
      });
    const refused = api.errorResponse(
      await api.authenticate(await request()).catch((e: unknown) => e),
    );
    expect(refused.status).toBe(401);
    expect((await problemOf(refused)).code).toBe('use_dpop_nonce');
    expect(refused.headers.get('www-authenticate')).toBe(`DPoP error="use_dpop_nonce", ${ALGS}`);
    const nonce = refused.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[\w-]+$/);
    const identity = await api.authenticate(await request(nonce!));
    expect(identity.address).toBe(s.address);
    // A fresh nonce to answer with (RFC 9449 §8.2): the next proof made with it is accepted.
    expect(identity.dpopNonce).toMatch(/^[0-9a-z]+\.[\w-]+$/);
    const next = await api.authenticate(await request(identity.dpopNonce));
    expect(next.address).toBe(s.address);
  });

  it('audit events: a replayed proof and a proof from another key are one event each; a success and other refusals none', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const thief = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const events: AuthEvent[] = [];
    const warned: string[] = [];
    const api = createResourceServer({
      issuer: auth.config.issuer,
      audience: auth.config.audience,
      jwks: new URL(`${authOrigin}/auth/jwks.json`),
      store: apiStore,
      onEvent: (e) => void events.push(e),
      logger: { info: () => {}, warn: (_o, msg) => void warned.push(msg!), error: () => {} },
    });
    const url = `${apiOrigin}/audited?page=2`;
    const request = (dpop: string) =>
      new Request(url, {
        headers: { authorization: `DPoP ${token}`, dpop, 'user-agent': 'audit-test/1.0' },
      });
    const proof = (k: Key, u = url) => DPoP.generateProof(k, u, 'GET', undefined, token);
    const refusal = (dpop: string) =>
      api.authenticate(request(dpop), { ip: '198.51.100.4' }).catch((e: unknown) => e);

    const good = await proof(key);
    expect((await api.authenticate(request(good), { ip: '198.51.100.4' })).address).toBe(s.address);
    expect(events).toEqual([]);
    // an ordinary refusal (a proof for another URL) is no event
    expect(await refusal(await proof(key, `${apiOrigin}/other`))).toMatchObject({
      code: 'dpop_proof_invalid',
    });
    expect(events).toEqual([]);

    const expected = (type: string, code: string) => ({
      type,
      at: expect.any(String),
      requestId: null,
      ip: '198.51.100.4',
      userAgent: 'audit-test/1.0',
      address: s.address,
      sessionId: s.tokens.session.id,
      code,
      detail: { route: 'resource', method: 'GET', path: '/audited' },
    });
    expect(await refusal(good)).toMatchObject({ code: 'dpop_proof_invalid' });
    expect(events).toEqual([expected('dpop.proof_replayed', 'dpop_proof_invalid')]);
    const stolen = await proof(thief);
    expect(await refusal(stolen)).toMatchObject({ code: 'dpop_key_mismatch' });
    expect(events.slice(1)).toEqual([expected('dpop.key_mismatch', 'dpop_key_mismatch')]);
    expect(warned).toEqual(['evrmore-auth dpop.proof_replayed', 'evrmore-auth dpop.key_mismatch']);
    const text = JSON.stringify(events);
    expect(text).not.toContain(token.slice(-20));
    expect(text).not.toContain(stolen.slice(-20));
  });

  it('a store outage at the replay check is 503 unavailable (fail closed); a local JWKS works too', async () => {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(key);
    const token = s.tokens.accessToken;
    const memory = createMemoryStore();
    let down = false;
    const flaky: AuthStore = {
      ...memory,
      createRateLimiter(o) {
        const limiter = memory.createRateLimiter(o);
        const consume = limiter.consume.bind(limiter);
        limiter.consume = (k, points) =>
          down ? Promise.reject(new Error('ECONNRESET')) : consume(k, points);
        return limiter;
      },
    };
    const api = createResourceServer({
      issuer: auth.config.issuer,
      audience: auth.config.audience,
      jwks: createLocalJWKSet(await auth.jwks()),
      store: flaky,
    });
    const url = `${apiOrigin}/local`;
    const request = async () =>
      new Request(url, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await DPoP.generateProof(key, url, 'GET', undefined, token),
        },
      });
    expect((await api.authenticate(await request())).address).toBe(s.address);
    down = true;
    const res = api.errorResponse(await api.authenticate(await request()).catch((e: unknown) => e));
    expect(res.status).toBe(503);
    expect((await problemOf(res)).code).toBe('unavailable');
  });

  it('bad options are TypeErrors naming the option', () => {
    const base = {
      issuer: 'i',
      audience: 'a',
      jwks: new URL('http://127.0.0.1/j'),
      store: apiStore,
    };
    expect(() => createResourceServer({ ...base, jwks: 'x' as never })).toThrow(
      /createResourceServer: jwks must be a URL/,
    );
    expect(() => createResourceServer({ ...base, store: {} as never })).toThrow(/store/);
    expect(() => createResourceServer({ ...base, dpop: { algorithms: ['HS256'] } })).toThrow(
      /^createResourceServer: dpop\.algorithms/,
    );
    expect(() => createResourceServer({ ...base, sessionCheck: 'yes' as never })).toThrow(
      /sessionCheck/,
    );
    expect(() => createResourceServer({ ...base, onEvent: 'log' as never })).toThrow(
      /^createResourceServer: onEvent must be a function/,
    );
    expect(() => createResourceServer({ ...base, logger: {} as never })).toThrow(
      /^createResourceServer: logger must have info, warn and error methods/,
    );
  });
});
