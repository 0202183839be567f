import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { createEvrmoreAuth, internalsOf } from './create-auth.js';
import { recordActivity } from './session-policy.js';
import type { AuthStore, SessionRecord } from './store.js';
import { createMemoryStore } from './stores/memory.js';
import { createHarness, wallet } from '../test/harness.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('sessionPolicy option', () => {
  it('defaults: no cap, the refresh idle lifetime, lastSeenAt kept within a minute', () => {
    expect(resolveConfig({ domain: 'example.com' }).sessionPolicy).toEqual({
      limit: null,
      idleTimeoutSeconds: null,
      idleWindowMs: 604_800_000,
      activityIntervalMs: 60_000,
    });
  });

  it('resolves the cap (evict-oldest by default) and the idle window (the shorter timeout)', () => {
    const c = resolveConfig({
      domain: 'example.com',
      refreshIdleTtlSeconds: 3600,
      sessionPolicy: { maxSessionsPerAddress: 3, idleTimeoutSeconds: 1800 },
    });
    expect(c.sessionPolicy).toEqual({
      limit: { max: 3, onLimit: 'evict-oldest' },
      idleTimeoutSeconds: 1800,
      idleWindowMs: 1_800_000,
      activityIntervalMs: 60_000,
    });
    const short = resolveConfig({
      domain: 'example.com',
      refreshIdleTtlSeconds: 120,
      sessionPolicy: { onLimit: 'refuse', maxSessionsPerAddress: 1, idleTimeoutSeconds: 300 },
    }).sessionPolicy;
    expect(short).toMatchObject({ limit: { max: 1, onLimit: 'refuse' }, idleWindowMs: 120_000 });
    // a short timeout writes activity every tenth of it
    expect(short.activityIntervalMs).toBe(30_000);
  });

  it.each([
    [
      { maxSessionsPerAddress: 0 },
      'sessionPolicy.maxSessionsPerAddress must be an integer from 1 to 10000',
    ],
    [
      { maxSessionsPerAddress: 2.5 },
      'sessionPolicy.maxSessionsPerAddress must be an integer from 1 to 10000',
    ],
    [{ onLimit: 'drop' }, 'sessionPolicy.onLimit must be "evict-oldest" or "refuse"'],
    [
      { idleTimeoutSeconds: 5 },
      'sessionPolicy.idleTimeoutSeconds must be an integer from 10 to 31536000',
    ],
    [{ maxSessions: 3 }, 'sessionPolicy.maxSessions is not a known option'],
    [3, 'sessionPolicy must be an object { maxSessionsPerAddress, onLimit, idleTimeoutSeconds }'],
  ])('refuses %j at start-up', (sessionPolicy, message) => {
    expect(() =>
      createEvrmoreAuth({
        domain: 'example.com',
        logger: quiet,
        sessionPolicy: sessionPolicy as never,
      }),
    ).toThrow(new TypeError(`createEvrmoreAuth: ${message}`));
  });
});

describe('recordActivity', () => {
  function setup(idleTimeoutSeconds?: number) {
    let now = 1_000_000;
    const touches: Array<[string, number, number | undefined]> = [];
    const memory = createMemoryStore({ now: () => now });
    const store: AuthStore = Object.assign(Object.create(memory) as AuthStore, {
      touchSession: (id: string, at: number, idle?: number) => {
        touches.push([id, at, idle]);
        return memory.touchSession(id, at, idle);
      },
    });
    const auth = createEvrmoreAuth({
      domain: 'example.com',
      logger: quiet,
      store,
      now: () => now,
      ...(idleTimeoutSeconds === undefined ? {} : { sessionPolicy: { idleTimeoutSeconds } }),
    });
    const rt = internalsOf(auth).runtime;
    const session: SessionRecord = {
      id: 's1',
      address: 'E1',
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 86_400_000,
      idleExpiresAt: now + 600_000,
      userAgent: null,
      ip: null,
      fingerprintHash: 'f',
      revokedAt: null,
      revokedReason: null,
    };
    return {
      rt,
      session,
      touches,
      memory,
      advance: (ms: number) => (now += ms),
      at: () => now,
    };
  }

  it('writes once per interval per session, never within it, and moves the idle end', async () => {
    const t = setup(600);
    await t.memory.createSession(t.session, 'h');
    expect(recordActivity(t.rt, t.session, t.at())).toBeUndefined();
    t.advance(59_999);
    expect(recordActivity(t.rt, t.session, t.at())).toBeUndefined();
    t.advance(1);
    await recordActivity(t.rt, t.session, t.at());
    expect(t.touches).toEqual([['s1', t.at(), t.at() + 600_000]]);
    // the record read by a concurrent request still has the old lastSeenAt: no second write
    expect(recordActivity(t.rt, t.session, t.at() + 10)).toBeUndefined();
    expect(await t.memory.getSession('s1')).toMatchObject({
      lastSeenAt: t.at(),
      idleExpiresAt: t.at() + 600_000,
    });
  });

  it('without an idle timeout, only lastSeenAt moves', async () => {
    const t = setup();
    await t.memory.createSession(t.session, 'h');
    t.advance(60_000);
    await recordActivity(t.rt, t.session, t.at());
    expect(t.touches).toEqual([['s1', t.at(), undefined]]);
    expect(await t.memory.getSession('s1')).toMatchObject({
      lastSeenAt: t.at(),
      idleExpiresAt: t.session.idleExpiresAt,
    });
  });

  it('a failed write is retried by the next request (and fails that request)', async () => {
    const t = setup(600);
    let fail = true;
    const rt = {
      ...t.rt,
      store: Object.assign(Object.create(t.rt.store) as AuthStore, {
        touchSession: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve()),
      }),
    };
    t.advance(60_000);
    await expect(recordActivity(rt, t.session, t.at())).rejects.toThrow('down');
    fail = false;
    await expect(recordActivity(rt, t.session, t.at())).resolves.toBeUndefined();
  });
});

describe('session policy through the handler', () => {
  it('an eviction is seen at once by authenticate on this instance, even with a session cache', async () => {
    const h = await createHarness({
      sessionCheck: { maxStalenessMs: 60_000 },
      sessionPolicy: { maxSessionsPerAddress: 1 },
    });
    const w = wallet('7');
    const first = await h.signIn(w);
    // cached as live now
    await h.auth.authenticate({ headers: new Headers(first.authHeaders) });
    const second = await h.signIn(w);
    await expect(
      h.auth.authenticate({ headers: new Headers(first.authHeaders) }),
    ).rejects.toMatchObject({
      code: 'token_revoked',
    });
    await expect(
      h.auth.authenticate({ headers: new Headers(second.authHeaders) }),
    ).resolves.toMatchObject({
      sessionId: second.tokens.session.id,
    });
  });

  it('refuse: 409 session_limit_reached as the OpenAPI document says, no cookies, a signin.failed event', async () => {
    const h = await createHarness({
      sessionPolicy: { maxSessionsPerAddress: 1, onLimit: 'refuse' },
    });
    const w = wallet('8');
    await h.signIn(w);
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect(res.status).toBe(409);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.json()).toMatchObject({ code: 'session_limit_reached', status: 409 });
    expect(h.events.at(-1)).toMatchObject({
      type: 'signin.failed',
      address: w.address,
      code: 'session_limit_reached',
    });
  });

  it('a custom store whose createSession returns nothing cannot be used with a cap', async () => {
    const memory = createMemoryStore();
    const store = Object.assign(Object.create(memory) as AuthStore, {
      createSession: async (...args: Parameters<AuthStore['createSession']>) => {
        await memory.createSession(...args);
      },
    });
    const h = await createHarness({ store, sessionPolicy: { maxSessionsPerAddress: 2 } });
    const { message } = await h.challenge(wallet('9'));
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: wallet('9').sign(message) },
    });
    expect(res.status).toBe(500);
    // without a cap the same store works as before
    const plain = await createHarness({ store });
    await expect(plain.signIn(wallet('9'))).resolves.toBeDefined();
  });
});
