// The client against the REAL server handler of @evrmore-auth/server, over loopback HTTP, with
// cookies flowing through a test-side cookie jar (Node's fetch has none).
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, EvrmoreAuthClientError, type AuthClient } from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { EvrmoreAuthError, privateKeyToAddress, toProblem } from '@evrmore-auth/core';
import { createCookieJar, type CookieJar } from './cookie-jar.js';
import { createRealAuth, type RealAuth } from './real-server.js';

const KEY = '42'.repeat(32);
const ADDRESS = privateKeyToAddress(KEY);

let origin: string;
let auth: RealAuth;
/** Added to the server's clock, to step past the refresh grace window. */
let skewMs = 0;
let close: () => Promise<void>;

beforeAll(async () => {
  const current: { auth?: RealAuth } = {};
  const server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request: Request) => {
      const a = current.auth!;
      const url = new URL(request.url);
      if (url.pathname.startsWith('/auth/')) return a.handler(request);
      if (url.pathname === '/api/me') {
        try {
          return Response.json({ ok: true, who: await a.authenticate(request) });
        } catch (err) {
          if (!(err instanceof EvrmoreAuthError)) throw err;
          return Response.json(toProblem(err), {
            status: err.status,
            headers: { 'content-type': 'application/problem+json' },
          });
        }
      }
      return new Response('not found', { status: 404 });
    },
  });
  if (!server.listening) await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  auth = await createRealAuth({
    origin,
    accessTokenTtlSeconds: 900,
    now: () => Date.now() + skewMs,
  });
  current.auth = auth;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => close?.());

function device(
  jar: CookieJar = createCookieJar(),
  key = KEY,
): { client: AuthClient; jar: CookieJar } {
  const client = createAuthClient({
    baseUrl: `${origin}/auth`,
    signer: localKeySigner({ privateKey: key }),
    fetch: jar.fetch,
    restore: false,
    tabSync: false,
  });
  return { client, jar };
}

describe('client ↔ real server over loopback HTTP', () => {
  it('signs in, calls a protected route, refreshes, and signs out', async () => {
    const { client, jar } = device();
    const state = await client.signIn();
    expect(state).toMatchObject({ status: 'signed-in', address: ADDRESS });
    expect(state.session?.address).toBe(ADDRESS);
    // The refresh token arrived as an HttpOnly cookie; the client never saw it. The only cookie
    // script can read is the session hint, which holds no secret.
    const secret = jar.cookies().filter((c) => c.name !== 'evrmore_auth_hint');
    expect(secret.length).toBeGreaterThanOrEqual(1);
    expect(secret.every((c) => c.httpOnly)).toBe(true);
    expect(jar.cookies().find((c) => c.name === 'evrmore_auth_hint')?.value).toBe('1');

    const me = await client.fetch(`${origin}/api/me`);
    expect(me.status).toBe(200);

    // The bearer token alone (no fingerprint cookie) is refused: cookies really flow above.
    const token = await client.getAccessToken();
    const bare = await fetch(`${origin}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(bare.status).toBe(401);

    const fresh = await client.refresh();
    expect(fresh).not.toBeNull();
    expect(fresh).not.toBe(token);
    expect((await client.fetch(`${origin}/api/me`)).status).toBe(200);
    expect((await client.getSession()).address).toBe(ADDRESS);

    await client.signOut();
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'user' });
    // The session is gone on the server too: the same cookie jar cannot restore it.
    const again = device(jar).client;
    expect(await again.restore()).toMatchObject({ status: 'signed-out', reason: 'no-session' });
  });

  it('restores a session from the refresh cookie alone (a page reload)', async () => {
    const first = device();
    await first.client.signIn();
    const reloaded = device(first.jar).client;
    const state = await reloaded.restore();
    expect(state.status).toBe('signed-in');
    expect(state.session?.id).toBe(first.client.getState().session?.id);
    expect((await reloaded.fetch(`${origin}/api/me`)).status).toBe(200);
  });

  it("the server's session hint cookie spares an anonymous page load its /refresh", async () => {
    const jar = createCookieJar();
    let refreshes = 0;
    /** A page load: a document whose cookie is what script sees of the jar (no HttpOnly). */
    const load = (): AuthClient =>
      createAuthClient({
        baseUrl: `${origin}/auth`,
        signer: localKeySigner({ privateKey: KEY }),
        fetch: (input, init) => {
          if ((input instanceof Request ? input.url : String(input)).endsWith('/auth/refresh'))
            refreshes++;
          return jar.fetch(input, init);
        },
        tabSync: false,
        window: null,
        document: Object.assign(new EventTarget(), {
          get cookie() {
            return jar
              .cookies()
              .filter((c) => !c.httpOnly)
              .map((c) => `${c.name}=${c.value}`)
              .join('; ');
          },
        }),
      });
    const waitSettled = async (client: AuthClient) => {
      for (let i = 0; i < 100 && client.getState().status === 'refreshing'; i++)
        await new Promise((r) => setTimeout(r, 10));
      return client.getState();
    };

    const anonymous = load();
    expect(anonymous.getState()).toMatchObject({ status: 'signed-out', reason: 'no-session' });
    expect(refreshes).toBe(0);
    await anonymous.signIn();
    anonymous.destroy();

    const reloaded = load(); // the hint is there: one refresh restores the session
    expect((await waitSettled(reloaded)).status).toBe('signed-in');
    expect(refreshes).toBe(1);
    await reloaded.signOut(); // the server clears the hint with the refresh cookie
    reloaded.destroy();

    const afterSignOut = load();
    expect(afterSignOut.getState()).toMatchObject({ status: 'signed-out', reason: 'no-session' });
    expect(refreshes).toBe(1);
    afterSignOut.destroy();
  });

  it('lists sessions, revokes one, revokes the others', async () => {
    const laptop = device();
    const phone = device();
    const tablet = device();
    await laptop.client.signIn();
    await phone.client.signIn();
    await tablet.client.signIn();
    const sessions = await laptop.client.listSessions();
    const mine = laptop.client.getState().session!.id;
    expect(sessions.filter((s) => s.current === true).map((s) => s.id)).toEqual([mine]);
    const phoneId = phone.client.getState().session!.id;
    expect(sessions.map((s) => s.id)).toEqual(expect.arrayContaining([mine, phoneId]));

    await laptop.client.revokeSession(phoneId);
    // The phone's next call fails, its refresh fails: it ends signed out, with the reason.
    const res = await phone.client.fetch(`${origin}/api/me`);
    expect(res.status).toBe(401);
    expect(phone.client.getState().status).toBe('signed-out');
    expect(phone.client.getState().reason).toMatch(/^(token_revoked|refresh_invalid)$/);

    await laptop.client.revokeOtherSessions();
    expect(await tablet.client.refresh()).toBeNull();
    expect(tablet.client.getState().status).toBe('signed-out');
    const left = await laptop.client.listSessions();
    expect(left.map((s) => s.id)).toEqual([mine]);
    expect((await laptop.client.fetch(`${origin}/api/me`)).status).toBe(200);
  });

  it('a replayed refresh cookie revokes the session; the client signs out saying refresh_reused', async () => {
    const { client, jar } = device();
    await client.signIn();
    const stolen = jar.cookies(); // the refresh cookie before rotation
    await client.refresh(); // rotates it
    await client.refresh(); // and uses its successor: the stolen one can no longer be a retry
    const current = jar.cookies();
    skewMs += 11_000; // past the 10 s grace window for concurrent duplicates
    try {
      jar.restore(stolen);
      expect(await client.refresh()).toBeNull();
      expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'refresh_reused' });
      // The whole session is revoked: the rightful latest cookie is dead too.
      jar.restore(current);
      const again = device(jar).client;
      expect((await again.restore()).status).toBe('signed-out');
    } finally {
      skewMs -= 11_000;
    }
  });

  it('refuses to sign a challenge for another domain (phishing defence against the real server)', async () => {
    const client = createAuthClient({
      baseUrl: `${origin}/auth`,
      signer: localKeySigner({ privateKey: KEY }),
      fetch: createCookieJar().fetch,
      restore: false,
      tabSync: false,
      expectedDomain: 'wallet.example',
    });
    const err = await client.signIn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthClientError);
    expect(err).toMatchObject({ code: 'phishing_suspected' });
  });
});
