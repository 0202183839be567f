// The session policy over real HTTP on loopback (the abuse suites' server: built packages,
// production mode, the Hono adapter, a real store): the per-address cap with evict-oldest and
// refuse, under concurrent sign-ins, and the idle timeout measured on authenticated requests and
// refreshes with an injected clock, on the memory, Redis and Postgres stores.
import { generateKeyPairSync } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AuthStore } from '@evrmore-auth/server';
import {
  code,
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  signOut,
  VICTIM_IP,
  type AbuseServer,
  type Session,
  type Wallet,
} from '../abuse/harness.js';

/** GET /auth/session as the signed-in browser. */
const whoAmI = (server: AbuseServer, s: Session) =>
  send(server, VICTIM_IP, 'GET', '/auth/session', {
    cookies: s.cookies,
    headers: { authorization: `Bearer ${s.accessToken}` },
  });

const listSessions = (server: AbuseServer, s: Session) =>
  send(server, VICTIM_IP, 'GET', '/auth/sessions', {
    cookies: s.cookies,
    headers: { authorization: `Bearer ${s.accessToken}` },
  });

const refresh = (server: AbuseServer, s: Session) =>
  send(server, VICTIM_IP, 'POST', '/auth/refresh', { body: {}, cookies: s.cookies });

async function signedIn(server: AbuseServer, wallet: Wallet): Promise<Session> {
  const r = await signIn(server, VICTIM_IP, wallet);
  expect(r.verify?.status).toBe(200);
  return r.session!;
}

/** Challenges first, then every verify at once: N sign-ins of one address racing. */
async function concurrentSignIns(server: AbuseServer, wallet: Wallet, n: number) {
  const messages = await Promise.all(
    Array.from({ length: n }, async () => {
      const c = await send(server, VICTIM_IP, 'POST', '/auth/challenge', {
        body: { address: wallet.address },
      });
      expect(c.status).toBe(201);
      return c.body.message as string;
    }),
  );
  return Promise.all(
    messages.map((message) =>
      send(server, VICTIM_IP, 'POST', '/auth/verify', {
        body: { message, signature: wallet.sign(message) },
        headers: { 'user-agent': 'policy-test/1.0' },
      }),
    ),
  );
}

/** One signing key for servers that must accept each other's tokens (instances of one service). */
const sharedKeys = [
  {
    kid: 'shared-1',
    alg: 'EdDSA' as const,
    privateKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as never,
  },
];

const sessionOf = (r: { body: Record<string, unknown>; cookies: Record<string, string> }) => ({
  accessToken: r.body.accessToken as string,
  sessionId: (r.body.session as { id: string }).id,
  cookies: r.cookies,
});

await onEveryStore('session policy', (kind) => {
  const start = serversOn(kind);

  it('evict-oldest: a fourth sign-in revokes the oldest, whose next request is token_revoked and refresh refused', async () => {
    const { server } = await start({
      config: { sessionPolicy: { maxSessionsPerAddress: 3, onLimit: 'evict-oldest' } },
    });
    const wallet = newWallet();
    const [first, second, third] = [
      await signedIn(server, wallet),
      await signedIn(server, wallet),
      await signedIn(server, wallet),
    ];
    expect((await whoAmI(server, first!)).status).toBe(200);
    const fourth = await signedIn(server, wallet);
    const gone = await whoAmI(server, first!);
    expect(gone.status).toBe(401);
    expect(code(gone)).toBe('token_revoked');
    expect(code(await refresh(server, first!))).toBe('refresh_invalid');
    for (const s of [second!, third!, fourth]) expect((await whoAmI(server, s)).status).toBe(200);
    const listed = await listSessions(server, fourth);
    const sessions = listed.body.sessions as Array<Record<string, unknown>>;
    expect(sessions.map((s) => s.id)).toEqual([
      fourth.sessionId,
      third!.sessionId,
      second!.sessionId,
    ]);
    expect(
      server.events.filter(
        (e) => e.type === 'session.revoked' && e.detail?.reason === 'session_limit',
      ),
    ).toEqual([expect.objectContaining({ address: wallet.address, sessionId: first!.sessionId })]);
  });

  it('evict-oldest under concurrency: 4 simultaneous sign-ins at a cap of 3 with 3 live leave exactly 3 live', async () => {
    const { server } = await start({
      config: { sessionPolicy: { maxSessionsPerAddress: 3 } },
    });
    const wallet = newWallet();
    const old = [
      await signedIn(server, wallet),
      await signedIn(server, wallet),
      await signedIn(server, wallet),
    ];
    const replies = await concurrentSignIns(server, wallet, 4);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const all = [...old, ...replies.map(sessionOf)];
    const statuses = await Promise.all(all.map(async (s) => (await whoAmI(server, s)).status));
    // the three old ones are gone; of the four new, exactly one was evicted by a later one
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    const evictions = server.events.filter(
      (e) => e.type === 'session.revoked' && e.detail?.reason === 'session_limit',
    );
    expect(evictions).toHaveLength(4);
    expect(new Set(evictions.map((e) => e.sessionId)).size).toBe(4);
  });

  it('refuse: of 3 simultaneous sign-ins at a cap of 2 with 1 live, exactly 2 are 409 session_limit_reached', async () => {
    const { server } = await start({
      config: { keys: sharedKeys, sessionPolicy: { maxSessionsPerAddress: 2, onLimit: 'refuse' } },
    });
    const wallet = newWallet();
    const live = await signedIn(server, wallet);
    const replies = await concurrentSignIns(server, wallet, 3);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: 'session_limit_reached', status: 409 });
      expect(r.cookies).toEqual({});
    }
    // the live session was never touched; signing out frees a slot
    expect((await whoAmI(server, live)).status).toBe(200);
    expect((await listSessions(server, live)).body.sessions).toHaveLength(2);
    expect((await signOut(server, VICTIM_IP, live)).status).toBe(204);
    expect((await signIn(server, VICTIM_IP, wallet)).verify?.status).toBe(200);
  });

  it('two server instances on one store: 6 simultaneous sign-ins split across them at a cap of 2 (refuse): exactly 2 win', async () => {
    const one = await start({
      config: { keys: sharedKeys, sessionPolicy: { maxSessionsPerAddress: 2, onLimit: 'refuse' } },
    });
    const two = await start({
      config: { keys: sharedKeys, sessionPolicy: { maxSessionsPerAddress: 2, onLimit: 'refuse' } },
      wrap: () => one.made.store,
    });
    const wallet = newWallet();
    const servers = [one.server, two.server];
    // each challenge on one instance, its verify on the other, all at once
    const messages = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const c = await send(servers[i % 2]!, VICTIM_IP, 'POST', '/auth/challenge', {
          body: { address: wallet.address },
        });
        return c.body.message as string;
      }),
    );
    const replies = await Promise.all(
      messages.map((message, i) =>
        send(servers[(i + 1) % 2]!, VICTIM_IP, 'POST', '/auth/verify', {
          body: { message, signature: wallet.sign(message) },
        }),
      ),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 409, 409, 409, 409]);
    const winner = sessionOf(replies.find((r) => r.status === 200)!);
    expect((await listSessions(one.server, winner)).body.sessions).toHaveLength(2);
  });

  it('two server instances on one store: a sign-in on one evicts a session the other one then refuses at once', async () => {
    const one = await start({
      config: { keys: sharedKeys, sessionPolicy: { maxSessionsPerAddress: 1 } },
    });
    const two = await start({
      config: { keys: sharedKeys, sessionPolicy: { maxSessionsPerAddress: 1 } },
      wrap: () => one.made.store,
    });
    const wallet = newWallet();
    const first = await signedIn(one.server, wallet);
    expect((await whoAmI(two.server, first)).status).toBe(200);
    const second = await signedIn(two.server, wallet);
    expect(code(await whoAmI(one.server, first))).toBe('token_revoked');
    expect(code(await whoAmI(two.server, first))).toBe('token_revoked');
    expect((await whoAmI(one.server, second)).status).toBe(200);
  });

  it('idle timeout: authenticated requests and refreshes keep a session alive, inactivity ends it (frozen clock)', async () => {
    let now = Date.now();
    const touches: number[] = [];
    const { server } = await start({
      config: {
        now: () => now,
        accessTokenTtlSeconds: 3600,
        sessionPolicy: { idleTimeoutSeconds: 600 },
      },
      // count the store writes of activity
      wrap: (store) =>
        Object.assign(Object.create(store) as AuthStore, {
          touchSession: (id: string, at: number, idle?: number) => {
            touches.push(at);
            return store.touchSession(id, at, idle);
          },
        }),
    });
    const wallet = newWallet();
    const active = await signedIn(server, wallet);
    const refreshing = await signedIn(server, wallet);
    const idle = await signedIn(server, wallet);
    const signedInAt = now;

    // within the write interval (60 s): no store write, however many requests
    for (let i = 0; i < 5; i++) expect((await whoAmI(server, active)).status).toBe(200);
    expect(touches).toEqual([]);

    now += 500_000;
    expect((await whoAmI(server, active)).status).toBe(200);
    expect(touches).toEqual([now]);
    for (let i = 0; i < 5; i++) expect((await whoAmI(server, active)).status).toBe(200);
    expect(touches).toHaveLength(1);
    const r = await refresh(server, refreshing);
    expect(r.status).toBe(200);
    // the fingerprint cookie stays the sign-in's; the refresh cookie is the new one
    const refreshed = { ...sessionOf(r), cookies: { ...refreshing.cookies, ...r.cookies } };

    // 1000 s after sign-in: idle 500 s for the active and refreshing ones, 1000 s for the idle one
    now += 500_000;
    expect((await whoAmI(server, active)).status).toBe(200);
    expect((await whoAmI(server, refreshed)).status).toBe(200);
    const ended = await whoAmI(server, idle);
    expect(ended.status).toBe(401);
    expect(code(ended)).toBe('token_revoked');
    expect(code(await refresh(server, idle))).toBe('refresh_invalid');

    // GET /auth/sessions shows the last activity, IP and user agent
    const listed = (await listSessions(server, active)).body.sessions as Array<
      Record<string, unknown>
    >;
    const mine = listed.find((s) => s.id === active.sessionId)!;
    expect(mine.lastSeenAt).toBe(new Date(now).toISOString());
    expect(mine.ip).toBe(VICTIM_IP);
    expect(listed.map((s) => s.id).sort()).toEqual([active.sessionId, refreshing.sessionId].sort());
    expect(Date.parse(mine.createdAt as string)).toBe(signedInAt);

    // 601 s of inactivity ends the active one too
    now += 601_000;
    expect(code(await whoAmI(server, active))).toBe('token_revoked');
    expect(code(await whoAmI(server, refreshed))).toBe('token_revoked');
  });

  it('without a session policy nothing changes: no cap, and sessions outlive a short inactivity', async () => {
    let now = Date.now();
    const { server } = await start({ config: { now: () => now, accessTokenTtlSeconds: 3600 } });
    const wallet = newWallet();
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await signedIn(server, wallet));
    now += 3_000_000;
    for (const s of sessions) expect((await whoAmI(server, s)).status).toBe(200);
  });
});
