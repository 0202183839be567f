import { EvrmoreAuthError } from '@evrmore-auth/core';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it, vi } from 'vitest';
import {
  ClientIpUnknownError,
  createRateLimits,
  DEFAULT_RATE_LIMITS,
  type RateLimitConfig,
} from './rate-limit.js';
import type { AuthStore, RateLimiterOptions } from './store.js';
import { createMemoryStore } from './stores/memory.js';

async function caught(p: Promise<unknown>): Promise<EvrmoreAuthError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EvrmoreAuthError);
    return err as EvrmoreAuthError;
  }
  throw new Error('expected a rejection');
}

const A = 'EXyzAddressOne';
const B = 'EXyzAddressTwo';

describe('createRateLimits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      ipv4Prefix: 32,
      ipv6Prefix: 64,
      challenge: {
        perIp: { points: 30, duration: 60 },
        perIpAddress: { points: 10, duration: 60 },
      },
      verify: { perIp: { points: 30, duration: 60 }, perIpAddress: { points: 10, duration: 60 } },
      refresh: { perIp: { points: 60, duration: 60 } },
      mfa: { perIp: { points: 30, duration: 300 }, perAddress: { points: 10, duration: 300 } },
      newSessions: { perIp: { points: 30, duration: 3600 } },
      lockout: { freeFailures: 5, freeFailuresPerIp: 20, baseSeconds: 2, maxSeconds: 900 },
      mfaLockout: {
        freeFailures: 5,
        baseSeconds: 2,
        maxSeconds: 900,
        maxFailures: 20,
        windowSeconds: 86_400,
      },
      apiKeyLockout: { freeFailures: 10, baseSeconds: 2, maxSeconds: 900 },
    });
  });

  it('locks an IP out after failed API-key attempts; other IPs are untouched', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      apiKeyLockout: { freeFailures: 2, baseSeconds: 300 },
    });
    const attacker = { ip: '203.0.113.7' };
    for (let i = 0; i < 2; i++) {
      await limits.checkApiKey(attacker);
      await limits.recordApiKeyFailure(attacker);
    }
    await limits.checkApiKey(attacker); // two free failures
    await limits.recordApiKeyFailure(attacker);
    await expect(limits.checkApiKey(attacker)).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfter: 300,
    });
    await limits.checkApiKey({ ip: '203.0.113.8' });
    expect(() =>
      createRateLimits(createMemoryStore(), { apiKeyLockout: { maxSeconds: 1, baseSeconds: 2 } }),
    ).toThrow('createRateLimits: rateLimits.apiKeyLockout.maxSeconds must be ≥ baseSeconds');
  });

  it('limits per IP + address at the default 10/min; other IPs keep their own budget for that address', async () => {
    const limits = createRateLimits(createMemoryStore());
    const ip = '203.0.113.7';
    for (let i = 0; i < 10; i++) {
      await limits.check('challenge', { ip });
      await limits.checkAddress('challenge', { ip, address: A });
    }
    await limits.check('challenge', { ip });
    const err = await caught(limits.checkAddress('challenge', { ip, address: A }));
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    expect(err.retryAfter).toBeLessThanOrEqual(60);
    // the same address from another IP, and another address from the same IP, are unaffected
    await limits.checkAddress('challenge', { ip: '203.0.113.8', address: A });
    await limits.checkAddress('challenge', { ip, address: B });
  });

  it('limits per IP at the default 30/min', async () => {
    const limits = createRateLimits(createMemoryStore());
    for (let i = 0; i < 30; i++) await limits.check('verify', { ip: '203.0.113.7' });
    const err = await caught(limits.check('verify', { ip: '203.0.113.7' }));
    expect(err.code).toBe('rate_limited');
    await limits.check('verify', { ip: '203.0.113.8' });
  });

  it('keys IPv6 clients by /64 (configurable) and IPv4-mapped addresses as IPv4', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      refresh: { perIp: { points: 2, duration: 60 } },
    });
    await limits.check('refresh', { ip: '2001:db8:1:2::1' });
    await limits.check('refresh', { ip: '2001:db8:1:2:ffff:ffff:ffff:ffff' });
    expect((await caught(limits.check('refresh', { ip: '2001:db8:1:2::99' }))).code).toBe(
      'rate_limited',
    );
    await limits.check('refresh', { ip: '2001:db8:1:3::1' }); // the next /64 is another client
    await limits.check('refresh', { ip: '::ffff:198.51.100.1' });
    await limits.check('refresh', { ip: '198.51.100.1' });
    expect((await caught(limits.check('refresh', { ip: '198.51.100.1' }))).code).toBe(
      'rate_limited',
    );
    const wide = createRateLimits(createMemoryStore(), {
      ipv6Prefix: 48,
      refresh: { perIp: { points: 1, duration: 60 } },
    });
    await wide.check('refresh', { ip: '2001:db8:1:2::1' });
    expect((await caught(wide.check('refresh', { ip: '2001:db8:1:ffff::1' }))).code).toBe(
      'rate_limited',
    );
  });

  it('an unknown client IP: refused in production, one warned-about shared bucket in development', async () => {
    const prod = createRateLimits(createMemoryStore(), {}, { production: true });
    await expect(prod.check('refresh', { ip: null })).rejects.toBeInstanceOf(ClientIpUnknownError);
    await expect(prod.check('refresh', { ip: null })).rejects.toThrow(/trustedProxies/);
    const warnings: string[] = [];
    const dev = createRateLimits(
      createMemoryStore(),
      { refresh: { perIp: { points: 2, duration: 60 } } },
      { warn: (m) => warnings.push(m) },
    );
    await dev.check('refresh', { ip: null });
    await dev.check('refresh', { ip: null });
    expect((await caught(dev.check('refresh', { ip: null }))).code).toBe('rate_limited');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/handler\(request, \{ ip \}\)/);
    await dev.check('refresh', { ip: '198.51.100.1' });
  });

  it('routes have separate budgets; mfa is limited per IP and per address', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      challenge: { perIp: { points: 1, duration: 60 } },
      mfa: { perAddress: { points: 2, duration: 300 } },
    });
    await limits.check('challenge', { ip: '1.2.3.4' });
    await limits.check('verify', { ip: '1.2.3.4' });
    await limits.checkAddress('mfa', { ip: '1.1.1.1', address: A });
    await limits.checkAddress('mfa', { ip: '2.2.2.2', address: A });
    const err = await caught(limits.checkAddress('mfa', { ip: '3.3.3.3', address: A }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBeGreaterThan(60);
    expect(err.retryAfter).toBeLessThanOrEqual(300);
  });

  it('locks out progressively after the free failures, per IP + address, doubling to the max', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      lockout: { freeFailures: 2, baseSeconds: 4, maxSeconds: 10 },
    });
    const key = { ip: '10.9.0.1', address: A };
    await limits.recordFailure('signature', key);
    await limits.recordFailure('signature', key);
    await limits.checkAddress('verify', key); // two free failures
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await limits.recordFailure('signature', key);
      const err = await caught(limits.checkAddress('verify', key));
      expect(err.code).toBe('rate_limited');
      waits.push(err.retryAfter!);
    }
    expect(waits).toEqual([4, 8, 10]);
    // the same address from another IP is not locked (an attacker cannot lock a victim out);
    // another address from the locked IP is not either (below the per-IP count); mfa is apart
    await limits.checkAddress('verify', { ip: '10.9.1.1', address: A });
    await limits.check('verify', { ip: '10.9.0.1' });
    await limits.checkAddress('verify', { ip: '10.9.0.1', address: B });
    await limits.checkAddress('mfa', { ip: '10.9.1.2', address: A });
  });

  it('locks the IP after failures across addresses (freeFailuresPerIp)', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      lockout: { freeFailures: 1, freeFailuresPerIp: 2 },
    });
    for (let i = 0; i < 3; i++)
      await limits.recordFailure('signature', { ip: '198.51.100.9', address: `E${i}` });
    const err = await caught(limits.check('verify', { ip: '198.51.100.9' }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(2);
    await limits.check('verify', { ip: '198.51.100.10' });
  });

  it('a success clears the IP + address lock and count', async () => {
    const limits = createRateLimits(createMemoryStore(), { lockout: { freeFailures: 1 } });
    const key = { ip: '1.1.1.1', address: A };
    await limits.recordFailure('signature', key);
    await limits.recordFailure('signature', key);
    expect((await caught(limits.checkAddress('verify', key))).code).toBe('rate_limited');
    await limits.recordSuccess('signature', key);
    await limits.checkAddress('verify', key);
    await limits.recordFailure('signature', key); // first failure again: free
    await limits.checkAddress('verify', key);
  });

  it('MFA failures: remembered a day, a hard cap per address, cleared only by a correct code', async () => {
    let t = Date.UTC(2026, 0, 1);
    vi.useFakeTimers({ now: t, toFake: ['Date'] });
    try {
      const limits = createRateLimits(createMemoryStore(), {
        mfaLockout: { freeFailures: 2, baseSeconds: 1, maxSeconds: 1, maxFailures: 6 },
      });
      const wrong = async (i: number) => {
        await limits.recordFailure('mfa', { ip: `10.8.0.${i}`, address: A });
        t += 2_000; // past each short lock
        vi.setSystemTime(t);
      };
      for (let i = 0; i < 5; i++) await wrong(i);
      // two hours later (the old one-hour window would have forgotten): still counted
      t += 2 * 3600_000;
      vi.setSystemTime(t);
      await limits.checkAddress('mfa', { ip: '10.8.1.1', address: A });
      await wrong(6); // the sixth wrong code reaches the cap
      const err = await caught(limits.checkAddress('mfa', { ip: '10.8.1.2', address: A }));
      expect(err.code).toBe('rate_limited');
      expect(err.retryAfter).toBeGreaterThan(20 * 3600);
      expect(err.retryAfter).toBeLessThanOrEqual(24 * 3600);
      // a day after the first failure the window has ended
      t = Date.UTC(2026, 0, 2) + 60_000;
      vi.setSystemTime(t);
      await limits.checkAddress('mfa', { ip: '10.8.1.3', address: A });
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails closed with unavailable when the limiter backend rejects', async () => {
    const broken = {
      ...createMemoryStore(),
      createRateLimiter(o: RateLimiterOptions): RateLimiterAbstract {
        const l = new RateLimiterMemory({
          keyPrefix: o.keyPrefix,
          points: o.points,
          duration: o.duration,
        });
        const down = () => Promise.reject(new Error('ECONNREFUSED'));
        l.consume = down;
        l.get = down;
        l.block = down;
        l.delete = down;
        return l;
      },
    } as AuthStore;
    const limits = createRateLimits(broken);
    for (const p of [
      limits.check('challenge', { ip: '1.1.1.1' }),
      limits.checkAddress('challenge', { ip: '1.1.1.1', address: A }),
      limits.check('verify', { ip: '1.1.1.1' }),
      limits.recordFailure('signature', { ip: '1.1.1.1', address: A }),
      limits.recordSuccess('signature', { ip: '1.1.1.1', address: A }),
    ]) {
      const err = await caught(p);
      expect(err.code).toBe('unavailable');
      expect(err.status).toBe(503);
    }
  });

  it('uses the store limiters with short per-route key prefixes', () => {
    const made: RateLimiterOptions[] = [];
    const store = createMemoryStore();
    const spy = {
      ...store,
      createRateLimiter(o: RateLimiterOptions) {
        made.push(o);
        return store.createRateLimiter(o);
      },
    } as AuthStore;
    createRateLimits(spy);
    expect(made.map((o) => o.keyPrefix)).toEqual([
      'ea:rl:ch:ip',
      'ea:rl:vf:ip',
      'ea:rl:rf:ip',
      'ea:rl:mf:ip',
      'ea:rl:ns:ip',
      'ea:rl:ch:ipa',
      'ea:rl:vf:ipa',
      'ea:rl:mf:a',
      'ea:lo:sig:ip',
      'ea:lk:sig:ip',
      'ea:lo:sig:ipa',
      'ea:lk:sig:ipa',
      'ea:lo:mfa:ip',
      'ea:lk:mfa:ip',
      'ea:lo:mfa:a',
      'ea:lk:mfa:a',
      'ea:lo:ak:ip',
      'ea:lk:ak:ip',
    ]);
    expect(made[0]).toEqual({ keyPrefix: 'ea:rl:ch:ip', points: 30, duration: 60 });
  });

  it('enabled: false turns every limit off', async () => {
    const limits = createRateLimits(createMemoryStore(), { enabled: false });
    for (let i = 0; i < 50; i++) {
      await limits.check('challenge', { ip: null });
      await limits.checkAddress('challenge', { ip: '1.1.1.1', address: A });
    }
  });

  it('validates config with exact TypeErrors', () => {
    const store = createMemoryStore();
    const cases: Array<[unknown, string]> = [
      [{ enabled: 'yes' }, 'rateLimits.enabled must be a boolean'],
      [
        { challenge: { perIp: { points: 0, duration: 60 } } },
        'rateLimits.challenge.perIp.points must be an integer ≥ 1',
      ],
      [
        { verify: { perIpAddress: { points: 5 } } },
        'rateLimits.verify.perIpAddress.duration must be an integer ≥ 1',
      ],
      [
        { verify: { perAddress: { points: 5, duration: 60 } } },
        'rateLimits.verify.perAddress was replaced by perIpAddress (a per-address budget let anyone lock an address out)',
      ],
      [{ ipv6Prefix: 16 }, 'rateLimits.ipv6Prefix must be an integer from 32 to 128'],
      [
        { mfaLockout: { freeFailures: 5, maxFailures: 5 } },
        'rateLimits.mfaLockout.maxFailures must be > freeFailures',
      ],
      [
        { refresh: { perIp: 5 } },
        'rateLimits.refresh.perIp must be an object { points, duration }',
      ],
      [
        { refresh: { perAddress: { points: 1, duration: 1 } } },
        'rateLimits.refresh.perAddress is not a known option',
      ],
      [{ lockout: { freeFailures: -1 } }, 'rateLimits.lockout.freeFailures must be an integer ≥ 0'],
      [
        { lockout: { baseSeconds: 10, maxSeconds: 5 } },
        'rateLimits.lockout.maxSeconds must be ≥ baseSeconds',
      ],
      [{ verify: [] }, 'rateLimits.verify must be an object'],
      [{ typo: 1 }, 'rateLimits.typo is not a known option'],
    ];
    for (const [config, message] of cases)
      expect(() => createRateLimits(store, config as RateLimitConfig)).toThrow(
        new TypeError(`createRateLimits: ${message}`),
      );
    expect(() => createRateLimits({} as AuthStore)).toThrow(
      new TypeError('createRateLimits: store must be an AuthStore with createRateLimiter'),
    );
  });
});

// The same limits on the shared backends: two server instances (two stores on one Redis / one
// Postgres schema) share counters and locks.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe.each(['redis', 'postgres'] as const)('on the %s store', (backend) => {
  it('two instances share per-address counters and lock-outs; an outage is unavailable', async () => {
    const id = `rl${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    let a: AuthStore & { close(): Promise<void> };
    let b: AuthStore & { close(): Promise<void> };
    let cleanup: () => Promise<void>;
    if (backend === 'redis') {
      const { createRedisStore } = await import('./stores/redis.js');
      const keyPrefix = `test:${id}:`;
      a = createRedisStore({ url: REDIS_URL, keyPrefix });
      b = createRedisStore({ url: REDIS_URL, keyPrefix });
      cleanup = async () => {
        const { Redis } = await import('ioredis');
        const r = new Redis(REDIS_URL);
        const keys = await r.keys(`*${id}*`);
        if (keys.length > 0) await r.del(...keys);
        await r.quit();
      };
    } else {
      const { createPostgresStore } = await import('./stores/postgres.js');
      const schema = `t_${id}`;
      const pa = createPostgresStore({ connectionString: DATABASE_URL, schema });
      await pa.migrate();
      a = pa;
      b = createPostgresStore({ connectionString: DATABASE_URL, schema });
      cleanup = async () => {
        const { default: pg } = await import('pg');
        const c = new pg.Client({ connectionString: DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      };
    }
    try {
      const config: RateLimitConfig = {
        challenge: { perIpAddress: { points: 3, duration: 60 } },
        lockout: { freeFailures: 1, baseSeconds: 30, maxSeconds: 60 },
      };
      const one = createRateLimits(a, config);
      const two = createRateLimits(b, config);
      const key = { ip: '10.0.0.1', address: A };
      await one.checkAddress('challenge', key);
      await two.checkAddress('challenge', key);
      await one.checkAddress('challenge', key);
      const limited = await caught(two.checkAddress('challenge', key));
      expect(limited.code).toBe('rate_limited');
      expect(limited.retryAfter).toBeLessThanOrEqual(60);
      await two.checkAddress('challenge', { ip: '10.0.0.2', address: A }); // another client

      const bad = { ip: '10.0.1.1', address: B };
      await one.recordFailure('signature', bad);
      await two.recordFailure('signature', bad);
      const locked = await caught(one.checkAddress('verify', bad));
      expect(locked.code).toBe('rate_limited');
      expect(locked.retryAfter).toBeGreaterThan(25);
      expect(locked.retryAfter).toBeLessThanOrEqual(30);
      await one.checkAddress('verify', { ip: '10.0.1.2', address: B }); // the owner elsewhere
      await two.recordSuccess('signature', bad);
      await one.checkAddress('verify', bad);

      await a.close();
      const down = await caught(one.check('refresh', { ip: '10.0.2.1' }));
      expect(down.code).toBe('unavailable');
    } finally {
      await a.close().catch(() => undefined);
      await b.close();
      await cleanup();
    }
  });
});

describe('a store built with another copy of rate-limiter-flexible', () => {
  it('is still read as "limited", not as an outage', async () => {
    const foreign = {
      ...createMemoryStore(),
      createRateLimiter(o: RateLimiterOptions): RateLimiterAbstract {
        const l = new RateLimiterMemory({
          keyPrefix: o.keyPrefix,
          points: o.points,
          duration: o.duration,
        });
        const consume = l.consume.bind(l);
        // a plain object shaped like RateLimiterRes, as another copy of the library would reject with
        l.consume = (key, points) =>
          consume(key, points).catch((res: { msBeforeNext: number; remainingPoints: number }) =>
            Promise.reject({
              msBeforeNext: res.msBeforeNext,
              remainingPoints: res.remainingPoints,
              consumedPoints: 99,
              isFirstInDuration: false,
            }),
          );
        return l;
      },
    } as AuthStore;
    const limits = createRateLimits(foreign, { refresh: { perIp: { points: 1, duration: 60 } } });
    await limits.check('refresh', { ip: '1.1.1.1' });
    const err = await caught(limits.check('refresh', { ip: '1.1.1.1' }));
    expect(err.code).toBe('rate_limited');
  });
});
