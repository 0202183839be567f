import { evrmoreTestnet } from '@evrmore-auth/core';
import { describe, expect, it } from 'vitest';
import { createHarness, problem, wallet } from '../../test/harness.js';

describe('replay protection', () => {
  it('a signed challenge works once; the second submission is challenge_unknown', async () => {
    const h = await createHarness();
    const w = wallet();
    const { message } = await h.challenge(w);
    const body = { message, signature: w.sign(message) };
    expect((await h.request('POST', '/auth/verify', { body })).status).toBe(200);
    const again = await h.request('POST', '/auth/verify', { body });
    expect(again.status).toBe(401);
    expect((await problem(again)).code).toBe('challenge_unknown');
  });

  it('of 50 concurrent submissions of one signed challenge exactly one succeeds', async () => {
    const h = await createHarness();
    const w = wallet();
    const { message } = await h.challenge(w);
    const body = { message, signature: w.sign(message) };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.request('POST', '/auth/verify', { body })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
    const codes = await Promise.all(
      results.filter((r) => r.status === 401).map(async (r) => (await problem(r)).code),
    );
    expect(new Set(codes)).toEqual(new Set(['challenge_unknown']));
  });

  it('a failed attempt spends the nonce: a bad signature first, then the good one is refused', async () => {
    const h = await createHarness();
    const w = wallet();
    const other = wallet('07');
    const { message } = await h.challenge(w);
    const bad = await h.request('POST', '/auth/verify', {
      body: { message, signature: other.sign(message) },
    });
    expect(bad.status).toBe(401);
    expect((await problem(bad)).code).toBe('invalid_signature');
    const good = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect((await problem(good)).code).toBe('challenge_unknown');
  });

  it('an expired challenge is challenge_expired (frozen clock moved past 5 minutes)', async () => {
    const h = await createHarness();
    const w = wallet();
    const { message } = await h.challenge(w);
    h.tick(5 * 60_000);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('challenge_expired');
  });

  it('a message altered after issue (same nonce) is message_mismatch, even when validly signed', async () => {
    const h = await createHarness();
    const w = wallet();
    const { message } = await h.challenge(w);
    const altered = message.replace(
      /Expiration Time: .*/,
      'Expiration Time: 2027-01-01T00:00:00.000Z',
    );
    const res = await h.request('POST', '/auth/verify', {
      body: { message: altered, signature: w.sign(altered) },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('message_mismatch');
  });

  it('a message signed for another domain is message_mismatch; for another network wrong_network', async () => {
    const a = await createHarness();
    const b = await createHarness({ domain: 'evil.example.net', uri: 'https://evil.example.net' });
    const w = wallet();
    const { message } = await b.challenge(w);
    const res = await a.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('message_mismatch');
    const t = await createHarness({ network: evrmoreTestnet });
    const tw = wallet('42', evrmoreTestnet);
    const tm = (await t.challenge(tw)).message;
    const wrong = await a.request('POST', '/auth/verify', {
      body: { message: tm, signature: tw.sign(tm) },
    });
    expect(wrong.status).toBe(400);
    expect((await problem(wrong)).code).toBe('wrong_network');
  });
});
