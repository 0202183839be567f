import { EvrmoreAuthError } from '@evrmore-auth/core';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitConfig } from './rate-limit.js';
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
      challenge: { perIp: { points: 30, duration: 60 }, perAddress: { points: 10, duration: 60 } },
      verify: { perIp: { points: 30, duration: 60 }, perAddress: { points: 10, duration: 60 } },
      refresh: { perIp: { points: 60, duration: 60 } },
      mfa: { perAddress: { points: 10, duration: 300 } },
      lockout: { freeFailures: 5, baseSeconds: 2, maxSeconds: 900 },
    });
  });

  it('limits per address at the default 10/min and answers rate_limited with retryAfter', async () => {
    const limits = createRateLimits(createMemoryStore());
    for (let i = 0; i < 10; i++) await limits.check('challenge', { ip: `10.0.0.${i}`, address: A });
    const err = await caught(limits.check('challenge', { ip: '10.0.1.1', address: A }));
    expect(err.code).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBeGreaterThanOrEqual(1);
    expect(err.retryAfter).toBeLessThanOrEqual(60);
    // another address from a fresh IP is unaffected
    await limits.check('challenge', { ip: '10.0.1.2', address: B });
  });

  it('limits per IP at the default 30/min across addresses', async () => {
    const limits = createRateLimits(createMemoryStore());
    for (let i = 0; i < 30; i++)
      await limits.check('verify', { ip: '203.0.113.7', address: `E${i}` });
    const err = await caught(limits.check('verify', { ip: '203.0.113.7', address: 'Enew' }));
    expect(err.code).toBe('rate_limited');
    await limits.check('verify', { ip: '203.0.113.8', address: 'Enew' });
  });

  it('keys a null IP as "unknown" (one shared bucket)', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      refresh: { perIp: { points: 2, duration: 60 } },
    });
    await limits.check('refresh', { ip: null });
    await limits.check('refresh', { ip: 'unknown' });
    expect((await caught(limits.check('refresh', { ip: null }))).code).toBe('rate_limited');
    await limits.check('refresh', { ip: '198.51.100.1' });
  });

  it('routes have separate budgets and mfa is limited per address', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      challenge: { perIp: { points: 1, duration: 60 } },
      mfa: { perAddress: { points: 2, duration: 300 } },
    });
    await limits.check('challenge', { ip: '1.2.3.4' });
    await limits.check('verify', { ip: '1.2.3.4' });
    await limits.check('mfa', { ip: '1.1.1.1', address: A });
    await limits.check('mfa', { ip: '2.2.2.2', address: A });
    const err = await caught(limits.check('mfa', { ip: '3.3.3.3', address: A }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBeGreaterThan(60);
    expect(err.retryAfter).toBeLessThanOrEqual(300);
  });

  it('locks out progressively after the free failures, per address, doubling to the max', async () => {
    const limits = createRateLimits(createMemoryStore(), {
      lockout: { freeFailures: 2, baseSeconds: 4, maxSeconds: 10 },
      verify: { perIp: { points: 1000, duration: 60 }, perAddress: { points: 1000, duration: 60 } },
    });
    const key = (i: number) => ({ ip: `10.9.0.${i}`, address: A });
    await limits.recordFailure('signature', key(1));
    await limits.recordFailure('signature', key(2));
    await limits.check('verify', key(3)); // two free failures
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await limits.recordFailure('signature', key(10 + i));
      const err = await caught(limits.check('verify', key(20 + i)));
      expect(err.code).toBe('rate_limited');
      waits.push(err.retryAfter!);
    }
    expect(waits).toEqual([4, 8, 10]);
    // another address from another IP is not locked; mfa is a separate count
    await limits.check('verify', { ip: '10.9.1.1', address: B });
    await limits.check('mfa', { ip: '10.9.1.2', address: A });
  });

  it('locks the IP too after failures across addresses', async () => {
    const limits = createRateLimits(createMemoryStore(), { lockout: { freeFailures: 1 } });
    await limits.recordFailure('signature', { ip: '198.51.100.9', address: 'E1' });
    await limits.recordFailure('signature', { ip: '198.51.100.9', address: 'E2' });
    const err = await caught(limits.check('verify', { ip: '198.51.100.9', address: 'E3' }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(2);
  });

  it('a success clears the address lock and count', async () => {
    const limits = createRateLimits(createMemoryStore(), { lockout: { freeFailures: 1 } });
    await limits.recordFailure('mfa', { ip: '1.1.1.1', address: A });
    await limits.recordFailure('mfa', { ip: '1.1.1.2', address: A });
    expect((await caught(limits.check('mfa', { ip: '1.1.1.3', address: A }))).code).toBe(
      'rate_limited',
    );
    await limits.recordSuccess('mfa', { ip: '1.1.1.4', address: A });
    await limits.check('mfa', { ip: '1.1.1.5', address: A });
    await limits.recordFailure('mfa', { ip: '1.1.1.6', address: A }); // first failure again: free
    await limits.check('mfa', { ip: '1.1.1.7', address: A });
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
      limits.check('challenge', { ip: '1.1.1.1', address: A }),
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
      'ea:rl:ch:a',
      'ea:rl:vf:ip',
      'ea:rl:vf:a',
      'ea:rl:rf:ip',
      'ea:rl:mf:a',
      'ea:lo:sig:ip',
      'ea:lk:sig:ip',
      'ea:lo:sig:a',
      'ea:lk:sig:a',
      'ea:lo:mfa:ip',
      'ea:lk:mfa:ip',
      'ea:lo:mfa:a',
      'ea:lk:mfa:a',
    ]);
    expect(made[0]).toEqual({ keyPrefix: 'ea:rl:ch:ip', points: 30, duration: 60 });
  });

  it('enabled: false turns every limit off', async () => {
    const limits = createRateLimits(createMemoryStore(), { enabled: false });
    for (let i = 0; i < 50; i++) await limits.check('challenge', { ip: '1.1.1.1', address: A });
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
        { verify: { perAddress: { points: 5 } } },
        'rateLimits.verify.perAddress.duration must be an integer ≥ 1',
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
        challenge: { perAddress: { points: 3, duration: 60 } },
        lockout: { freeFailures: 1, baseSeconds: 30, maxSeconds: 60 },
      };
      const one = createRateLimits(a, config);
      const two = createRateLimits(b, config);
      await one.check('challenge', { ip: '10.0.0.1', address: A });
      await two.check('challenge', { ip: '10.0.0.2', address: A });
      await one.check('challenge', { ip: '10.0.0.3', address: A });
      const limited = await caught(two.check('challenge', { ip: '10.0.0.4', address: A }));
      expect(limited.code).toBe('rate_limited');
      expect(limited.retryAfter).toBeLessThanOrEqual(60);

      await one.recordFailure('signature', { ip: '10.0.1.1', address: B });
      await two.recordFailure('signature', { ip: '10.0.1.2', address: B });
      const locked = await caught(one.check('verify', { ip: '10.0.1.3', address: B }));
      expect(locked.code).toBe('rate_limited');
      expect(locked.retryAfter).toBeGreaterThan(25);
      expect(locked.retryAfter).toBeLessThanOrEqual(30);
      await two.recordSuccess('signature', { ip: '10.0.1.4', address: B });
      await one.check('verify', { ip: '10.0.1.5', address: B });

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
