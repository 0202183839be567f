import { describe, expect, it, vi } from 'vitest';
import type { AuthStore } from '../store.js';
import { combineStores } from './combine.js';
import { createPostgresStore } from './postgres.js';
import { createRedisStore } from './redis.js';

function fake(name: string): AuthStore {
  const fn = () => vi.fn(async () => null);
  return {
    name,
    putChallenge: fn(),
    consumeChallenge: fn(),
    createSession: fn(),
    getSession: fn(),
    listSessions: fn(),
    touchSession: fn(),
    revokeSession: fn(),
    revokeSessions: fn(),
    rotateRefresh: fn(),
    getMfa: fn(),
    putMfa: fn(),
    deleteMfa: fn(),
    useTotpStep: fn(),
    consumeBackupCode: fn(),
    putOnce: fn(),
    takeOnce: fn(),
    createRateLimiter: vi.fn(),
    close: vi.fn(async () => {}),
  } as unknown as AuthStore;
}

describe('combineStores', () => {
  it('routes each part to its store and closes each distinct store once', async () => {
    const r = fake('redis');
    const p = fake('postgres');
    const s = combineStores({ challenges: r, rateLimits: r, sessions: p, mfa: p });
    await s.consumeChallenge('n');
    await s.getSession('id');
    await s.takeOnce('k');
    s.createRateLimiter({ keyPrefix: 'x', points: 1, duration: 1 });
    expect(r.consumeChallenge).toHaveBeenCalledWith('n');
    expect(p.getSession).toHaveBeenCalledWith('id');
    expect(p.takeOnce).toHaveBeenCalledWith('k');
    expect(r.createRateLimiter).toHaveBeenCalledOnce();
    expect(p.consumeChallenge).not.toHaveBeenCalled();
    await s.close?.();
    expect(r.close).toHaveBeenCalledOnce();
    expect(p.close).toHaveBeenCalledOnce();
    expect(s.name).toBe(
      'combined(challenges:redis,rateLimits:redis,sessions:postgres,mfa:postgres)',
    );
  });

  it('rejects a missing part', () => {
    const r = fake('redis');
    expect(() => combineStores({ challenges: r, rateLimits: r, sessions: r } as never)).toThrow(
      new TypeError('combineStores: `mfa` must be an AuthStore'),
    );
  });
});

describe('store factories validate their options up front', () => {
  it('createRedisStore', () => {
    expect(() => createRedisStore({})).toThrow(
      new TypeError('createRedisStore: pass exactly one of `client` or `url`'),
    );
    expect(() => createRedisStore({ url: 'redis://x', keyPrefix: 'a{b}' })).toThrow(
      new TypeError('createRedisStore: `keyPrefix` must be a string without `{` or `}`'),
    );
  });

  it('createPostgresStore', () => {
    expect(() => createPostgresStore({})).toThrow(
      new TypeError('createPostgresStore: pass exactly one of `pool` or `connectionString`'),
    );
    expect(() =>
      createPostgresStore({ connectionString: 'postgres://x', schema: 'Bad-Name' }),
    ).toThrow(TypeError);
  });
});
