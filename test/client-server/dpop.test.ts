// DPoP end to end: the client (built package, @evrmore-auth/client/dpop) against the REAL server
// with DPoP required and server nonces on, over loopback HTTP with a cookie jar. The refusals of a
// stolen token or refresh cookie are checked with everything but the key (the thief has the
// cookies too), so what stops them is DPoP alone.
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '@evrmore-auth/client';
import { memoryDpopKey, type DpopKey } from '@evrmore-auth/client/dpop';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { EvrmoreAuthError, toProblem } from '@evrmore-auth/core';
import { createEvrmoreAuth } from '@evrmore-auth/server';
import { createCookieJar, type CookieJar } from './cookie-jar.js';

const KEY = '42'.repeat(32);
let origin: string;
let close: () => Promise<void>;
/** Every DPoP-Nonce the server sent, and every use_dpop_nonce refusal (to see the retries). */
const seen = { nonceRefusals: 0 };

beforeAll(async () => {
  const holder: { auth?: ReturnType<typeof createEvrmoreAuth> } = {};
  const server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request: Request) => {
      const auth = holder.auth!;
      const url = new URL(request.url);
      let response: Response;
      if (url.pathname.startsWith('/auth/')) response = await auth.handler(request);
      else if (url.pathname === '/api/me') {
        try {
          response = Response.json({ ok: true, who: await auth.authenticate(request) });
        } catch (err) {
          if (!(err instanceof EvrmoreAuthError)) throw err;
          const e = err as EvrmoreAuthError & { nonce?: string };
          // A resource's refusal as an adapter's requireAuth answers it: the fresh nonce, and the
          // DPoP challenge for use_dpop_nonce (RFC 9449 §9).
          response = Response.json(toProblem(e), {
            status: e.status,
            headers: {
              'content-type': 'application/problem+json',
              ...(e.nonce ? { 'dpop-nonce': e.nonce } : {}),
              ...(e.code === 'use_dpop_nonce'
                ? { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"' }
                : {}),
            },
          });
        }
      } else response = new Response('not found', { status: 404 });
      if (/use_dpop_nonce/.test(await response.clone().text())) seen.nonceRefusals++;
      return response;
    },
  });
  if (!server.listening) await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = new URL(origin);
  holder.auth = createEvrmoreAuth({
    domain: url.host,
    uri: url.origin,
    statement: 'Sign in to the evrmore-auth test app.',
    production: false,
    dpop: { mode: 'required', nonce: { secret: 'n'.repeat(48) } },
    logger: {
      warn: () => undefined,
      info: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    } as never,
  });
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => close?.());

function device(dpop: DpopKey = memoryDpopKey(), jar: CookieJar = createCookieJar()) {
  const client: AuthClient = createAuthClient({
    baseUrl: `${origin}/auth`,
    signer: localKeySigner({ privateKey: KEY }),
    fetch: jar.fetch,
    dpop,
    restore: false,
    tabSync: false,
  });
  return { client, jar, dpop };
}

describe('DPoP: client ↔ real server (mode required, nonces on)', () => {
  it('signs in with a proof (nonce retry), calls a protected route, refreshes, signs out with a new key', async () => {
    const { client, dpop } = device();
    const before = seen.nonceRefusals;
    const state = await client.signIn();
    expect(state).toMatchObject({ status: 'signed-in', tokenType: 'DPoP' });
    // The first proof had no nonce: one use_dpop_nonce, one retry.
    expect(seen.nonceRefusals - before).toBe(1);
    const token = (await client.getAccessToken())!;
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims.cnf).toEqual({ jkt: await dpop.thumbprint() });

    const me = await client.fetch(`${origin}/api/me`);
    expect(me.status).toBe(200);
    const fresh = await client.refresh();
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(token);
    expect((await client.fetch(`${origin}/api/me`)).status).toBe(200);
    expect((await client.getSession()).id).toBe(state.session!.id);
    // The nonce is remembered: no refusal after the first.
    expect(seen.nonceRefusals - before).toBe(1);

    const first = await dpop.thumbprint();
    await client.signOut();
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'user' });
    expect(await dpop.thumbprint()).not.toBe(first);
    expect(await client.signIn()).toMatchObject({ status: 'signed-in', tokenType: 'DPoP' });
    expect((await client.fetch(`${origin}/api/me`)).status).toBe(200);
  });

  it('refuses a stolen access token replayed without the key (cookies and all)', async () => {
    const { client, jar } = device();
    await client.signIn();
    const token = (await client.getAccessToken())!;
    const cookie = jar
      .cookies()
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const url = `${origin}/api/me`;
    const replay = (headers: Record<string, string>) =>
      fetch(url, { headers: { cookie, ...headers } }).then(async (r) => ({
        status: r.status,
        code: ((await r.json()) as { code?: string }).code,
      }));
    // No proof, as Bearer, and with a proof by the thief's own key.
    expect(await replay({ authorization: `DPoP ${token}` })).toMatchObject({ status: 401 });
    expect(await replay({ authorization: `Bearer ${token}` })).toEqual({
      status: 401,
      code: 'token_invalid',
    });
    const thief = memoryDpopKey();
    const nonceAnswer = await fetch(url, {
      headers: {
        cookie,
        authorization: `DPoP ${token}`,
        dpop: await thief.proof('GET', url, { accessToken: token }),
      },
    });
    const nonce = nonceAnswer.headers.get('dpop-nonce') ?? undefined;
    const withKey = await replay({
      authorization: `DPoP ${token}`,
      dpop: await thief.proof('GET', url, { accessToken: token, ...(nonce ? { nonce } : {}) }),
    });
    expect(withKey).toEqual({ status: 401, code: 'dpop_key_mismatch' });
    // The owner, with its key, still gets in.
    expect((await client.fetch(url)).status).toBe(200);
  });

  it('refuses a stolen refresh cookie used from another key', async () => {
    const victim = device();
    await victim.client.signIn();
    const stolen = createCookieJar();
    stolen.restore(victim.jar.cookies());
    const thief = device(memoryDpopKey(), stolen).client;
    expect(await thief.refresh()).toBeNull();
    expect(thief.getState()).toMatchObject({ status: 'signed-out', reason: 'dpop_key_mismatch' });
    // A page load (restore) with the stolen cookie gets nothing either.
    const reload = device(memoryDpopKey(), stolen).client;
    expect(await reload.restore()).toMatchObject({ status: 'signed-out' });
    expect(await reload.getAccessToken()).toBeNull();
    // The victim's session lives on.
    expect(await victim.client.refresh()).not.toBeNull();
    expect((await victim.client.fetch(`${origin}/api/me`)).status).toBe(200);
  });
});
