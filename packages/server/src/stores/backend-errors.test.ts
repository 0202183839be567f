import { EvrmoreAuthError, toProblem } from '@evrmore-auth/core';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../store.js';
import { failClosedLimiter, guard } from './backend-errors.js';

describe('the one store-failure rule', () => {
  it('a backend failure is StoreUnavailableError (503 unavailable), cause kept, message clean', async () => {
    const cause = new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5:6379');
    const err = await guard('redis', () => Promise.reject(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err).toBeInstanceOf(EvrmoreAuthError);
    const e = err as StoreUnavailableError;
    expect([e.name, e.code, e.status, e.message]).toEqual([
      'StoreUnavailableError',
      'unavailable',
      503,
      'redis store unavailable',
    ]);
    expect(e.cause).toBe(cause);
    expect(JSON.stringify(toProblem(e))).not.toContain('hunter2');
  });

  it('a bug in store code stays a bug (500), not an outage', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    await expect(guard('postgres', () => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('a limiter: spent points stay a RateLimiterRes, a backend failure becomes StoreUnavailableError', async () => {
    const limiter = new RateLimiterMemory({ keyPrefix: 't', points: 1, duration: 60 });
    const view = failClosedLimiter('memory', limiter);
    await view.consume('k');
    const spent = await view.consume('k').catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(RateLimiterRes);
    expect((await view.get('k'))?.consumedPoints).toBe(2);

    const down = failClosedLimiter('redis', limiter, () =>
      Promise.reject(new Error('redis not ready (status reconnecting)')),
    );
    for (const op of [() => down.consume('k'), () => down.get('k'), () => down.delete('k')])
      await expect(op()).rejects.toBeInstanceOf(StoreUnavailableError);
    // the limiter itself is untouched: its own methods still work
    expect(await limiter.delete('k')).toBe(true);
  });
});
