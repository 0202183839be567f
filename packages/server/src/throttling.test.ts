// The routes' wiring of rate limits and lock-out (the limiter itself is tested in rate-limit.test.ts).
import { describe, expect, it } from 'vitest';
import { createHarness, problem, wallet } from '../test/harness.js';

describe('rate limits wired into the routes', () => {
  it('challenge per IP + address: over the limit is 429 rate_limited with retry-after and a rate_limited event', async () => {
    const h = await createHarness({
      rateLimits: { challenge: { perIpAddress: { points: 2, duration: 60 } } },
    });
    const w = wallet();
    await h.challenge(w);
    await h.challenge(w);
    const res = await h.request('POST', '/auth/challenge', { body: { address: w.address } });
    expect(res.status).toBe(429);
    expect((await problem(res)).code).toBe('rate_limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(h.events.at(-1)).toMatchObject({
      type: 'rate_limited',
      code: 'rate_limited',
      ip: '203.0.113.7',
    });
    // the same address from another IP, and another address from this IP, are unaffected
    for (const [address, ip] of [
      [w.address, '198.51.100.2'],
      [wallet('07').address, '203.0.113.7'],
    ]) {
      const other = await h.auth.handler(
        new Request('https://app.example.com/auth/challenge', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ address }),
        }),
        { ip },
      );
      expect(other.status).toBe(201);
    }
  });

  it('verify per IP: the fourth verify from one IP within the window is 429', async () => {
    const h = await createHarness({
      rateLimits: { verify: { perIp: { points: 3, duration: 60 } } },
    });
    for (let i = 0; i < 3; i++) {
      const res = await h.request('POST', '/auth/verify', {
        body: { message: 'not a message', signature: 'x' },
      });
      expect(res.status).toBe(400);
    }
    const res = await h.request('POST', '/auth/verify', {
      body: { message: 'not a message', signature: 'x' },
    });
    expect(res.status).toBe(429);
  });

  it('failed signatures lock that IP + address out progressively; the lock-out answers 429 before any signature work', async () => {
    const h = await createHarness({
      rateLimits: { lockout: { freeFailures: 2, baseSeconds: 30, maxSeconds: 60 } },
    });
    const w = wallet();
    const attacker = wallet('07');
    for (let i = 0; i < 3; i++) {
      const { message } = await h.challenge(w);
      const res = await h.request('POST', '/auth/verify', {
        body: { message, signature: attacker.sign(message) },
      });
      expect((await problem(res)).code).toBe('invalid_signature');
    }
    const { message } = await h.challenge(w).catch(() => ({ message: '' }));
    const locked = await h.request('POST', '/auth/verify', {
      body: { message: message || 'x', signature: w.sign(message || 'x') },
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('refresh per IP is limited too', async () => {
    const h = await createHarness({
      rateLimits: { refresh: { perIp: { points: 1, duration: 60 } } },
    });
    const headers = { 'x-requested-with': 'evrmore-auth' };
    expect((await h.request('POST', '/auth/refresh', { headers })).status).toBe(401);
    expect((await h.request('POST', '/auth/refresh', { headers })).status).toBe(429);
  });
});
