// Attack family: brute force and flooding. Per-IP and per-IP + address limits through the fetch
// handler, progressive lock-out after bad signatures, x-forwarded-for spoofing, fail-closed limiter.
// (Attacks on other people's sign-in, over real HTTP and on every store: test/abuse/.)
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import type { AuthStore, RateLimiterOptions } from '../store.js';
import { createMemoryStore } from '../stores/memory.js';
import { createHarness, ORIGIN, problem, wallet } from '../../test/harness.js';

function challengeFrom(
  auth: EvrmoreAuth,
  address: string,
  ip: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return auth.handler(
    new Request(`${ORIGIN}/auth/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ address }),
    }),
    { ip },
  );
}

async function expect429(res: Response, maxRetryAfter: number): Promise<number> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect((await problem(res)).code).toBe('rate_limited');
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxRetryAfter);
  return Number(retryAfter);
}

const addresses = Array.from({ length: 32 }, (_, i) => wallet(String(10 + i)).address);

describe('rate limits (defaults)', () => {
  it('per IP + address: the 11th challenge for one address from one IP in a minute is 429; other IPs still get theirs', async () => {
    const h = await createHarness({ rateLimits: {} });
    const w = wallet();
    for (let i = 0; i < 10; i++)
      expect((await challengeFrom(h.auth, w.address, '198.51.100.200')).status).toBe(201);
    await expect429(await challengeFrom(h.auth, w.address, '198.51.100.200'), 60);
    expect((await challengeFrom(h.auth, w.address, '198.51.100.201')).status).toBe(201);
    expect((await challengeFrom(h.auth, addresses[0]!, '198.51.100.200')).status).toBe(201);
    expect(h.events.filter((e) => e.type === 'rate_limited')).toMatchObject([
      {
        type: 'rate_limited',
        code: 'rate_limited',
        ip: '198.51.100.200',
        detail: { route: 'challenge' },
      },
    ]);
  });

  it('per IP: the 31st challenge from one IP in a minute is 429, whatever the address', async () => {
    const h = await createHarness({ rateLimits: {} });
    for (let i = 0; i < 30; i++)
      expect((await challengeFrom(h.auth, addresses[i]!, '203.0.113.9')).status).toBe(201);
    await expect429(await challengeFrom(h.auth, addresses[30]!, '203.0.113.9'), 60);
    expect((await challengeFrom(h.auth, addresses[30]!, '203.0.113.10')).status).toBe(201);
  });

  it('per IP on verify: 30 garbage submissions, then 429 before any parsing work', async () => {
    const h = await createHarness({ rateLimits: {} });
    for (let i = 0; i < 30; i++) {
      const res = await h.request('POST', '/auth/verify', {
        body: { message: 'x', signature: 'y' },
      });
      expect(res.status).toBe(400);
    }
    await expect429(
      await h.request('POST', '/auth/verify', { body: { message: 'x', signature: 'y' } }),
      60,
    );
  });

  it('locks an IP + address out after 5 bad signatures from that IP (2 s, then 4 s); the owner elsewhere is not locked', async () => {
    const h = await createHarness({ rateLimits: {} });
    const victim = wallet();
    const attacker = wallet('07');
    const attempt = async (signer: typeof victim, ip: string): Promise<Response> => {
      const { message } = await h.challenge(victim);
      return h.auth.handler(
        new Request(`${ORIGIN}/auth/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message, signature: signer.sign(message) }),
        }),
        { ip },
      );
    };
    for (let i = 0; i < 5; i++) {
      const res = await attempt(attacker, '192.0.2.66');
      expect((await problem(res)).code).toBe('invalid_signature');
    }
    // the 5 failures were free; the 6th locks that IP + address for 2 s
    expect((await problem(await attempt(attacker, '192.0.2.66'))).code).toBe('invalid_signature');
    expect(await expect429(await attempt(victim, '192.0.2.66'), 2)).toBe(2);
    expect(h.events.filter((e) => e.type === 'signin.failed')).toHaveLength(6);
    // the owner on their own network signs in with a valid signature
    expect((await attempt(victim, '198.51.100.5')).status).toBe(200);
  });

  it('locks an IP out after 20 bad signatures across addresses', async () => {
    const h = await createHarness({ rateLimits: {} });
    const attacker = wallet('07');
    for (let i = 0; i < 21; i++) {
      const w = wallet(String(20 + i));
      const { message } = await h.challenge(w);
      const res = await h.request('POST', '/auth/verify', {
        body: { message, signature: attacker.sign(message) },
      });
      expect((await problem(res)).code).toBe('invalid_signature');
    }
    const w = wallet('50');
    const { message } = await h.challenge(w);
    const res = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    await expect429(res, 2);
  });
});

describe('x-forwarded-for', () => {
  const rateLimits = { challenge: { perIp: { points: 3, duration: 60 } } };

  it('is ignored without trusted proxies: spoofing it does not dodge the per-IP limit', async () => {
    const h = await createHarness({ rateLimits });
    for (let i = 0; i < 3; i++) {
      const res = await challengeFrom(h.auth, addresses[i]!, '203.0.113.7', {
        'x-forwarded-for': `10.1.1.${i}`,
      });
      expect(res.status).toBe(201);
    }
    await expect429(
      await challengeFrom(h.auth, addresses[3]!, '203.0.113.7', { 'x-forwarded-for': '10.1.1.99' }),
      60,
    );
    expect(h.events.at(-1)).toMatchObject({ type: 'rate_limited', ip: '203.0.113.7' });
  });

  it('is honoured from a trusted proxy: each client behind it has its own budget', async () => {
    const h = await createHarness({ rateLimits, trustedProxies: ['10.0.0.2'] });
    for (let i = 0; i < 3; i++) {
      const res = await challengeFrom(h.auth, addresses[i]!, '10.0.0.2', {
        'x-forwarded-for': '198.51.100.1',
      });
      expect(res.status).toBe(201);
    }
    const limited = await challengeFrom(h.auth, addresses[3]!, '10.0.0.2', {
      'x-forwarded-for': '198.51.100.1',
    });
    await expect429(limited, 60);
    expect(h.events.at(-1)).toMatchObject({ type: 'rate_limited', ip: '198.51.100.1' });
    const other = await challengeFrom(h.auth, addresses[4]!, '10.0.0.2', {
      'x-forwarded-for': '198.51.100.2',
    });
    expect(other.status).toBe(201);
    // a peer that is not the trusted proxy cannot choose its IP with the header
    for (let i = 0; i < 3; i++)
      await challengeFrom(h.auth, addresses[5 + i]!, '203.0.113.66', {
        'x-forwarded-for': `198.51.100.${10 + i}`,
      });
    await expect429(
      await challengeFrom(h.auth, addresses[9]!, '203.0.113.66', {
        'x-forwarded-for': '198.51.100.99',
      }),
      60,
    );
  });
});

describe('trusted proxies: CIDR ranges, an edge header, IPv6 networks', () => {
  const rateLimits = { challenge: { perIp: { points: 3, duration: 60 } } };

  it('a CIDR range of proxies is trusted; a peer outside it is not', async () => {
    const h = await createHarness({ rateLimits, trustedProxies: ['10.0.0.0/8', 'fd00::/8'] });
    for (const peer of ['10.200.3.4', 'fd00::7']) {
      const res = await challengeFrom(h.auth, addresses[0]!, peer, {
        'x-forwarded-for': '198.51.100.77, 10.1.1.1',
      });
      expect(res.status).toBe(201);
    }
    expect(h.events.filter((e) => e.type === 'challenge.issued').map((e) => e.ip)).toEqual([
      '198.51.100.77',
      '198.51.100.77',
    ]);
    await challengeFrom(h.auth, addresses[1]!, '11.0.0.1', { 'x-forwarded-for': '198.51.100.78' });
    expect(h.events.at(-1)).toMatchObject({ ip: '11.0.0.1' });
  });

  it('{ header } believes the edge header (cf-connecting-ip) and nothing else', async () => {
    const h = await createHarness({ rateLimits, trustedProxies: { header: 'cf-connecting-ip' } });
    await challengeFrom(h.auth, addresses[0]!, '127.0.0.1', {
      'cf-connecting-ip': '2001:db8::5',
      'x-forwarded-for': '198.51.100.1',
    });
    expect(h.events.at(-1)).toMatchObject({ type: 'challenge.issued', ip: '2001:db8::5' });
  });

  it('one IPv6 /64 is one client: rotating through its addresses does not dodge the limit', async () => {
    const h = await createHarness({ rateLimits, trustedProxies: ['10.0.0.2'] });
    const from = (ip: string, i: number) =>
      challengeFrom(h.auth, addresses[i]!, '10.0.0.2', { 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++)
      expect((await from(`2001:db8:aa:bb::${i + 1}`, i)).status).toBe(201);
    await expect429(await from('2001:db8:aa:bb:1234:5678:9abc:def0', 3), 60);
    expect((await from('2001:db8:aa:bc::1', 4)).status).toBe(201); // the next /64
  });
});

describe('limiter backend down', () => {
  it('fails closed: 503 unavailable, never a free pass', async () => {
    const memory = createMemoryStore();
    const store = Object.assign(Object.create(Object.getPrototypeOf(memory) as object), memory, {
      createRateLimiter(o: RateLimiterOptions): RateLimiterAbstract {
        const l = new RateLimiterMemory({
          keyPrefix: o.keyPrefix,
          points: o.points,
          duration: o.duration,
        });
        const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
        l.consume = down;
        l.get = down;
        l.block = down;
        l.delete = down;
        return l;
      },
    }) as AuthStore;
    const h = await createHarness({ rateLimits: {}, store: store as never });
    const res = await h.request('POST', '/auth/challenge', { body: { address: wallet().address } });
    expect(res.status).toBe(503);
    const body = await problem(res);
    expect(body.code).toBe('unavailable');
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
  });
});
