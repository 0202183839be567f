import { EvrmoreAuthError } from '@evrmore-auth/core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createEvrmoreAuth, internalsOf } from './create-auth.js';
import { createPerformanceCaches } from './token-cache.js';
import type { AccessTokenClaims } from './config.js';
import { createMemoryStore } from './stores/memory.js';
import type { AuthStore } from './store.js';
import { createHarness, edJwk, ORIGIN, T0, wallet, type Harness } from '../test/harness.js';

function authRequest(headers: Record<string, string>): Request {
  return new Request(`${ORIGIN}/api/me`, { headers });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (e instanceof EvrmoreAuthError) return e.code;
    throw e;
  }
}

/** Two instances (separate caches) sharing one memory store object and one clock. */
async function twoInstances(
  overrides: Parameters<typeof createHarness>[0] = {},
): Promise<{ a: Harness; b: Harness }> {
  const clock = { t: T0 };
  const store = createMemoryStore({ now: () => clock.t });
  const a = await createHarness({ store, now: () => clock.t, ...overrides });
  const b = await createHarness({ store, now: () => clock.t, ...overrides });
  a.clock = clock;
  b.clock = clock;
  a.tick = b.tick = (ms) => {
    clock.t += ms;
  };
  return { a, b };
}

describe('verified-token cache', () => {
  it('is on by default and remembers a verified token by its hash, not the token', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const id = await h.auth.authenticate(authRequest(s.authHeaders));
    expect(id.sessionId).toBe(s.tokens.session.id);
    const tokens = internalsOf(h.auth).runtime.caches.tokens!;
    expect(tokens.size).toBe(1);
    const key = [...tokens.entries()][0]![0];
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(s.tokens.accessToken.slice(0, 20));
    // the cached path answers the same identity
    expect(await h.auth.authenticate(authRequest(s.authHeaders))).toEqual(id);
  });

  it('skips the signature check on a hit (the signing key is not consulted again)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const keys = vi.spyOn(internalsOf(h.auth).runtime, 'keys');
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(keys).toHaveBeenCalledTimes(1);
    await h.auth.authenticate(authRequest(s.authHeaders));
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(keys).toHaveBeenCalledTimes(1);
  });

  it('refuses a revoked session at once on every instance sharing the store (default: exact)', async () => {
    const { a, b } = await twoInstances();
    const s = await a.signIn();
    // both instances have verified (and cached) the token
    await a.auth.authenticate(authRequest(s.authHeaders));
    await b.auth.authenticate(authRequest(s.authHeaders));
    expect(internalsOf(a.auth).runtime.caches.tokens!.size).toBe(1);
    expect(internalsOf(b.auth).runtime.caches.tokens!.size).toBe(1);
    expect(await b.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect(await code(a.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
    expect(await code(b.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });

  it('refuses every session of an address revoked on another instance, at once', async () => {
    const { a, b } = await twoInstances();
    const s1 = await a.signIn();
    const s2 = await b.signIn();
    await a.auth.authenticate(authRequest(s1.authHeaders));
    await a.auth.authenticate(authRequest(s2.authHeaders));
    expect(await b.auth.revokeAllSessions(wallet().address)).toBe(2);
    expect(await code(a.auth.authenticate(authRequest(s1.authHeaders)))).toBe('token_revoked');
    expect(await code(a.auth.authenticate(authRequest(s2.authHeaders)))).toBe('token_revoked');
  });

  it('refuses an expired token even while it is cached (frozen clock moved past exp)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    await h.auth.authenticate(authRequest(s.authHeaders));
    const { accessTokenTtlSeconds, clockToleranceSeconds } = h.auth.config;
    // still inside exp + tolerance: accepted from the cache
    h.tick((accessTokenTtlSeconds + clockToleranceSeconds - 2) * 1000);
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
    h.tick(3000);
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_expired');
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_expired');
  });

  it('refuses a token whose fingerprint cookie differs, even while cached', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const other = await h.signIn();
    await h.auth.authenticate(authRequest(s.authHeaders));
    const name = h.auth.config.cookies.fingerprintName;
    const wrongCookie = { ...s.authHeaders, cookie: `${name}=${other.fingerprint}` };
    expect(await code(h.auth.authenticate(authRequest(wrongCookie)))).toBe('fingerprint_mismatch');
    const noCookie = { authorization: s.authHeaders.authorization! };
    expect(await code(h.auth.authenticate(authRequest(noCookie)))).toBe('fingerprint_mismatch');
    // and the right cookie still works
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
  });

  it('remembers a token together with its cookie: another cookie is checked in full, token errors first', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const other = await h.signIn();
    const keys = vi.spyOn(internalsOf(h.auth).runtime, 'keys');
    await h.auth.authenticate(authRequest(s.authHeaders));
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(keys).toHaveBeenCalledTimes(1);
    const name = h.auth.config.cookies.fingerprintName;
    const wrongCookie = { ...s.authHeaders, cookie: `${name}=${other.fingerprint}` };
    expect(await code(h.auth.authenticate(authRequest(wrongCookie)))).toBe('fingerprint_mismatch');
    expect(keys).toHaveBeenCalledTimes(2);
    const { accessTokenTtlSeconds, clockToleranceSeconds } = h.auth.config;
    h.tick((accessTokenTtlSeconds + clockToleranceSeconds + 1) * 1000);
    expect(await code(h.auth.authenticate(authRequest(wrongCookie)))).toBe('token_expired');
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_expired');
  });

  it('does not accept a forged token that shares a cached token’s prefix', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    await h.auth.authenticate(authRequest(s.authHeaders));
    const token = s.tokens.accessToken;
    const [header, payload, sig] = token.split('.') as [string, string, string];
    const flipped = sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + sig.at(-1)!;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const morePower = Buffer.from(JSON.stringify({ ...claims, permissions: ['admin'] })).toString(
      'base64url',
    );
    for (const forged of [
      `${header}.${payload}.${flipped}`,
      `${header}.${morePower}.${sig}`,
      `${token}A`,
    ]) {
      const headers = { ...s.authHeaders, authorization: `Bearer ${forged}` };
      expect(await code(h.auth.authenticate(authRequest(headers)))).toBe('token_invalid');
    }
  });

  it('stays within maxEntries (least recently used evicted)', async () => {
    const h = await createHarness({ tokenCache: { maxEntries: 2 } });
    const signedIn = [await h.signIn(), await h.signIn(), await h.signIn()];
    for (const s of signedIn) await h.auth.authenticate(authRequest(s.authHeaders));
    expect(internalsOf(h.auth).runtime.caches.tokens!.size).toBe(2);
    // an evicted token is simply verified again
    h.tick(1000);
    expect(await code(h.auth.authenticate(authRequest(signedIn[0]!.authHeaders)))).toBe('accepted');
    expect(internalsOf(h.auth).runtime.caches.tokens!.size).toBe(2);

    // least recently used first: the cache now holds [2] and [0]; a hit on [2] makes [0] the one
    // the next new token evicts
    const keys = vi.spyOn(internalsOf(h.auth).runtime, 'keys');
    const verifies = async (s: (typeof signedIn)[number]): Promise<boolean> => {
      h.tick(1000); // past the second the credentials of the last request are remembered
      const before = keys.mock.calls.length;
      expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
      return keys.mock.calls.length > before;
    };
    expect(await verifies(signedIn[2]!)).toBe(false);
    expect(await verifies(signedIn[1]!)).toBe(true);
    expect(await verifies(signedIn[2]!)).toBe(false);
    expect(await verifies(signedIn[0]!)).toBe(true);
  });

  it('can be turned off', async () => {
    const h = await createHarness({ tokenCache: false });
    const s = await h.signIn();
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(internalsOf(h.auth).runtime.caches.tokens).toBeNull();
  });

  it('validates its configuration up front', async () => {
    const base = {
      domain: 'app.example.com',
      production: false,
      keys: [{ kid: 'k1', alg: 'EdDSA' as const, privateKey: await edJwk() }],
    };
    expect(() => createEvrmoreAuth({ ...base, tokenCache: { maxEntries: -1 } })).toThrow(
      new TypeError(
        'createEvrmoreAuth: tokenCache.maxEntries must be an integer from 0 to 10000000',
      ),
    );
    expect(() => createEvrmoreAuth({ ...base, sessionCheck: { maxStalenessMs: 1.5 } })).toThrow(
      new TypeError(
        'createEvrmoreAuth: sessionCheck.maxStalenessMs must be an integer from 0 to 300000',
      ),
    );
    expect(() => createEvrmoreAuth({ ...base, tokenCache: 'yes' as unknown as boolean })).toThrow(
      new TypeError('createEvrmoreAuth: tokenCache must be a boolean or { maxEntries }'),
    );
    expect(() => createEvrmoreAuth({ ...base, tokenCache: null as unknown as boolean })).toThrow(
      new TypeError('createEvrmoreAuth: tokenCache must be a boolean or { maxEntries }'),
    );
    expect(() => createEvrmoreAuth({ ...base, sessionCheck: 5 as never })).toThrow(
      new TypeError(
        'createEvrmoreAuth: sessionCheck must be an object { maxStalenessMs, maxEntries }',
      ),
    );
    expect(() => createEvrmoreAuth({ ...base, sessionCheck: { maxEntries: 1e8 } })).toThrow(
      new TypeError(
        'createEvrmoreAuth: sessionCheck.maxEntries must be an integer from 0 to 10000000',
      ),
    );
    expect(() => createEvrmoreAuth({ ...base, backend: {} as never })).toThrow(
      new TypeError(
        'createEvrmoreAuth: backend must be a Secp256k1Backend (nobleBackend, nativeBackend, tinySecp256k1Backend)',
      ),
    );
  });
});

/** A custom store written as a class whose methods use a #private field: they throw unless
 *  called on the instance itself (as they would through a wrapper made with Object.create). */
class PrivateFieldStore {
  readonly #inner: ReturnType<typeof createMemoryStore>;
  constructor(inner: ReturnType<typeof createMemoryStore>) {
    this.#inner = inner;
    const memory = inner as unknown as Record<string, unknown>;
    for (const key of Object.keys(memory))
      if (typeof memory[key] === 'function' && !(key in PrivateFieldStore.prototype))
        Object.defineProperty(PrivateFieldStore.prototype, key, {
          value(this: PrivateFieldStore, ...args: unknown[]) {
            return PrivateFieldStore.call(this, key, args);
          },
        });
  }
  get name(): string {
    return `private(${this.#inner.name})`;
  }
  static call(self: PrivateFieldStore, key: string, args: unknown[]): unknown {
    const inner = self.#inner as unknown as Record<string, (...a: unknown[]) => unknown>;
    return inner[key]!(...args);
  }
}

describe('recent credentials (no hash and no header parsing per request)', () => {
  const caches = (h: Harness) => internalsOf(h.auth).runtime.caches;
  const sizes = (h: Harness) => [caches(h).recentHeaders.size, caches(h).recentTokens.size];

  /** A harness (with fake timeouts) whose signed-in credentials are remembered. */
  async function remembered(overrides: Parameters<typeof createHarness>[0] = {}) {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const h = await createHarness(overrides);
    const s = await h.signIn();
    expect(sizes(h)).toEqual([0, 0]);
    await h.auth.authenticate(authRequest(s.authHeaders)); // verified: remembered
    await h.auth.authenticate(authRequest(s.authHeaders)); // answered from the memo
    expect(sizes(h)).toEqual([1, 1]);
    return { h, s };
  }

  it('keeps a verified pair at most a second: dropped by a timer with no request after it', async () => {
    const { h, s } = await remembered();
    vi.advanceTimersByTime(999);
    expect(sizes(h)).toEqual([1, 1]);
    vi.advanceTimersByTime(1);
    expect(sizes(h)).toEqual([0, 0]);
    // the token cache still has it, by hash only
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
  });

  it("and by the next lookup a second on, on the runtime's clock (a timer that did not run)", async () => {
    const { h } = await remembered();
    const other = await h.signIn();
    h.tick(1000);
    // another pair's lookup drops the old ones first
    expect(await code(h.auth.authenticate(authRequest(other.authHeaders)))).toBe('accepted');
    expect(sizes(h)).toEqual([1, 1]);
  });

  it('refuses a remembered token once it expired, within the second', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const { exp } = JSON.parse(
      Buffer.from(s.tokens.accessToken.split('.')[1]!, 'base64url').toString(),
    ) as { exp: number };
    // refused from (exp + tolerance) s on: half a second before that
    h.tick((exp + h.auth.config.clockToleranceSeconds) * 1000 - 500 - h.clock.t);
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
    expect(sizes(h)).toEqual([1, 1]);
    h.tick(600); // past exp, the memo's second not over
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_expired');
  });

  it('remembers no pair that failed, and answers as without it', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const other = await h.signIn();
    const name = h.auth.config.cookies.fingerprintName;
    const wrongCookie = { ...s.authHeaders, cookie: `${name}=${other.fingerprint}` };
    const [header, payload, signature] = s.tokens.accessToken.split('.');
    const forged = { ...s.authHeaders, authorization: `Bearer ${header}.${payload}x.${signature}` };
    for (let i = 0; i < 3; i++) {
      expect(await code(h.auth.authenticate(authRequest(wrongCookie)))).toBe(
        'fingerprint_mismatch',
      );
      expect(await code(h.auth.authenticate(authRequest(forged)))).toBe('token_invalid');
    }
    expect(sizes(h)).toEqual([0, 0]);
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(sizes(h)).toEqual([1, 1]);
    // the remembered header with another cookie header, and a forgery carrying the remembered
    // signature and cookie, are still checked in full
    expect(await code(h.auth.authenticate(authRequest(wrongCookie)))).toBe('fingerprint_mismatch');
    expect(await code(h.auth.authenticate(authRequest(forged)))).toBe('token_invalid');
    const moreCookies = { ...s.authHeaders, cookie: `theme=dark; ${s.authHeaders.cookie}` };
    expect(await code(h.auth.authenticate(authRequest(moreCookies)))).toBe('accepted');
    // the session is read on every request
    expect(await code(h.auth.revokeSession(s.tokens.session.id))).toBe('accepted');
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });

  it('remembers nothing with tokenCache: false, and no header longer than 4096 characters', async () => {
    const off = await createHarness({ tokenCache: false });
    const s = await off.signIn();
    for (let i = 0; i < 2; i++) await off.auth.authenticate(authRequest(s.authHeaders));
    expect(sizes(off)).toEqual([0, 0]);
    const h = await createHarness();
    const t = await h.signIn();
    const padded = { ...t.authHeaders, cookie: `pad=${'x'.repeat(4096)}; ${t.authHeaders.cookie}` };
    for (let i = 0; i < 2; i++)
      expect(await code(h.auth.authenticate(authRequest(padded)))).toBe('accepted');
    expect(sizes(h)).toEqual([0, 1]); // the token and its fingerprint cookie, not the header
  });

  it('holds at most 4096 pairs', () => {
    const recent = createPerformanceCaches({}).recentHeaders;
    const claims = { exp: T0 / 1000 + 60, nbf: T0 / 1000 } as AccessTokenClaims;
    for (let i = 0; i < 5000; i++) recent.remember(`header-${i}`, `cookie-${i}`, claims, T0);
    expect(recent.size).toBe(4096);
    expect(recent.get('header-0', 'cookie-0', T0)?.exp).toBe(claims.exp);
    expect(recent.get('header-0', 'cookie-1', T0)).toBeUndefined();
    expect(recent.get('header-4999', 'cookie-4999', T0)).toBeUndefined();
  });
});

describe('session check with bounded staleness', () => {
  it('works with a store whose methods need their own this (a class with #private fields)', async () => {
    const clock = { t: T0 };
    const store = new PrivateFieldStore(createMemoryStore({ now: () => clock.t }));
    const h = await createHarness({
      store: store as unknown as AuthStore,
      now: () => clock.t,
      sessionCheck: { maxStalenessMs: 5000 },
    });
    const s = await h.signIn();
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(await h.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });

  it('does not remember a live read that a local revocation overtook', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t });
    const h = await createHarness({
      store,
      now: () => clock.t,
      sessionCheck: { maxStalenessMs: 5000 },
    });
    const s = await h.signIn();
    // The read answers "live", but only after the revocation has landed and been told.
    const read = store.getSession.bind(store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const getSession = vi.spyOn(store, 'getSession').mockImplementationOnce(async (id) => {
      const live = await read(id);
      await held;
      return live;
    });
    const slow = h.auth.authenticate(authRequest(s.authHeaders));
    await vi.waitFor(() => expect(getSession).toHaveBeenCalledTimes(1));
    expect(await h.auth.revokeSession(s.tokens.session.id)).toBe(true);
    release();
    expect((await slow).sessionId).toBe(s.tokens.session.id); // it started before the revocation
    // the next request is refused at once: the overtaken read was not cached as live
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });

  it('by default asks the store on every request', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t });
    const getSession = vi.spyOn(store, 'getSession');
    const h = await createHarness({ store, now: () => clock.t });
    const s = await h.signIn();
    getSession.mockClear();
    for (let i = 0; i < 3; i++) await h.auth.authenticate(authRequest(s.authHeaders));
    expect(getSession).toHaveBeenCalledTimes(3);
  });

  it('with maxStalenessMs reads the store once per window, and refuses a local revocation at once', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ now: () => clock.t });
    const getSession = vi.spyOn(store, 'getSession');
    const h = await createHarness({
      store,
      now: () => clock.t,
      sessionCheck: { maxStalenessMs: 5000 },
    });
    const s = await h.signIn();
    getSession.mockClear();
    for (let i = 0; i < 3; i++) await h.auth.authenticate(authRequest(s.authHeaders));
    expect(getSession).toHaveBeenCalledTimes(1);
    clock.t += 5000;
    await h.auth.authenticate(authRequest(s.authHeaders));
    expect(getSession).toHaveBeenCalledTimes(2);
    // revoked through this instance: refused immediately, within the staleness window
    expect(await h.auth.revokeSession(s.tokens.session.id)).toBe(true);
    expect(await code(h.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');

    const s2 = await h.signIn();
    await h.auth.authenticate(authRequest(s2.authHeaders));
    expect(await h.auth.revokeAllSessions(wallet().address)).toBe(1);
    expect(await code(h.auth.authenticate(authRequest(s2.authHeaders)))).toBe('token_revoked');
  });

  it('honours a revocation made on another instance within maxStalenessMs', async () => {
    const { a, b } = await twoInstances({ sessionCheck: { maxStalenessMs: 2000 } });
    const s = await a.signIn();
    await a.auth.authenticate(authRequest(s.authHeaders));
    await b.auth.revokeSession(s.tokens.session.id);
    // the documented bound: b's revocation reaches a after at most maxStalenessMs
    a.tick(2000);
    expect(await code(a.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
    expect(await code(b.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });

  it('with maxStalenessMs 0 refuses a revocation on another instance at once', async () => {
    const { a, b } = await twoInstances({ sessionCheck: { maxStalenessMs: 0 } });
    const s = await a.signIn();
    await a.auth.authenticate(authRequest(s.authHeaders));
    await b.auth.revokeSession(s.tokens.session.id);
    expect(await code(a.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
  });
});

describe('on Redis: two instances, two store clients, one Redis', () => {
  it('refuses a revoked session at once on the other instance, with the token cached on both', async () => {
    const { Redis } = await import('ioredis');
    const { createRedisStore } = await import('./stores/redis.js');
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const keyPrefix = `evrauth-test-token-cache-${process.pid}-${Date.now()}:`;
    const clock = { t: Date.now() };
    const now = (): number => clock.t;
    const storeA = createRedisStore({ url, keyPrefix, now });
    const storeB = createRedisStore({ url, keyPrefix, now });
    const admin = new Redis(url);
    try {
      const a = await createHarness({ store: storeA as never, now });
      const b = await createHarness({ store: storeB as never, now });
      const s = await a.signIn();
      expect(await code(a.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
      expect(await code(b.auth.authenticate(authRequest(s.authHeaders)))).toBe('accepted');
      expect(await a.auth.revokeSession(s.tokens.session.id)).toBe(true);
      expect(await code(b.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
      expect(await code(a.auth.authenticate(authRequest(s.authHeaders)))).toBe('token_revoked');
    } finally {
      await storeA.close?.();
      await storeB.close?.();
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    }
  });
});
