import { describe, expect, it, vi } from 'vitest';
import { createEventSink, type AuthEvent, type PinoLikeLogger } from './events.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const base = { requestId: 'r1', ip: '203.0.113.7', userAgent: 'ua' };

function recorder(): PinoLikeLogger & { lines: Array<[string, object, string | undefined]> } {
  const lines: Array<[string, object, string | undefined]> = [];
  return {
    lines,
    info: (o, m) => lines.push(['info', o, m]),
    warn: (o, m) => lines.push(['warn', o, m]),
    error: (o, m) => lines.push(['error', o, m]),
  };
}

describe('createEventSink', () => {
  it('stamps events with the injected clock and delivers them to onEvent and the logger', () => {
    const events: AuthEvent[] = [];
    const logger = recorder();
    const sink = createEventSink({ onEvent: (e) => void events.push(e), logger, now: () => T0 });
    sink.emit({ type: 'challenge.issued', ...base, address: 'Eaddr' });
    sink.emit({ type: 'signin.failed', ...base, code: 'invalid_signature' });
    expect(events).toEqual([
      { type: 'challenge.issued', at: '2026-01-01T00:00:00.000Z', ...base, address: 'Eaddr' },
      {
        type: 'signin.failed',
        at: '2026-01-01T00:00:00.000Z',
        ...base,
        code: 'invalid_signature',
      },
    ]);
    expect(logger.lines.map(([level, , msg]) => [level, msg])).toEqual([
      ['info', 'evrmore-auth challenge.issued'],
      ['warn', 'evrmore-auth signin.failed'],
    ]);
  });

  it('drops unknown fields and detail entries that name credentials', () => {
    const events: AuthEvent[] = [];
    const sink = createEventSink({ onEvent: (e) => void events.push(e), now: () => T0 });
    sink.emit({
      type: 'refresh.succeeded',
      ...base,
      sessionId: 's1',
      detail: { reason: 'ok', refreshToken: 'RT', accessToken: 'AT', cookie: 'C', signature: 'S' },
      token: 'leak',
    } as never);
    expect(events).toEqual([
      {
        type: 'refresh.succeeded',
        at: '2026-01-01T00:00:00.000Z',
        ...base,
        sessionId: 's1',
        detail: { reason: 'ok' },
      },
    ]);
  });

  it('catches a throwing hook and a rejecting async hook, logs them, and never throws', async () => {
    const logger = recorder();
    const throwing = createEventSink({
      logger,
      onEvent: () => {
        throw new Error('boom');
      },
    });
    expect(() => throwing.emit({ type: 'challenge.issued', ...base })).not.toThrow();
    const rejecting = createEventSink({
      logger,
      onEvent: () => Promise.reject(new Error('later')),
    });
    expect(() => rejecting.emit({ type: 'challenge.issued', ...base })).not.toThrow();
    await new Promise((r) => setTimeout(r, 0));
    const errors = logger.lines.filter(([level]) => level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]![1]).toEqual({ err: { name: 'Error', message: 'boom' } });
    expect(errors[1]![1]).toEqual({ err: { name: 'Error', message: 'later' } });
  });

  it('does not wait for an async hook', () => {
    let resolved = false;
    const sink = createEventSink({
      onEvent: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            resolved = true;
            r();
          }, 50),
        ),
    });
    sink.emit({ type: 'challenge.issued', ...base });
    expect(resolved).toBe(false);
  });

  it('survives a logger that throws', () => {
    const bad: PinoLikeLogger = {
      info: () => {
        throw new Error('x');
      },
      warn: () => {
        throw new Error('x');
      },
      error: () => {
        throw new Error('x');
      },
    };
    const onEvent = vi.fn();
    const sink = createEventSink({ logger: bad, onEvent });
    expect(() => sink.emit({ type: 'signin.failed', ...base })).not.toThrow();
    expect(onEvent).toHaveBeenCalledTimes(1);
  });

  describe('anomaly detection', () => {
    function setup(anomaly?: { threshold?: number; windowMs?: number; maxKeys?: number }) {
      const clock = { t: T0 };
      const events: AuthEvent[] = [];
      const sink = createEventSink({
        onEvent: (e) => void events.push(e),
        now: () => clock.t,
        ...(anomaly ? { anomaly } : {}),
      });
      const anomalies = () => events.filter((e) => e.type === 'anomaly.failed_signins');
      return { clock, events, sink, anomalies };
    }

    it('raises one event per address per window at the default threshold of 10/minute', () => {
      const { sink, anomalies, clock } = setup();
      for (let i = 0; i < 9; i++) {
        sink.emit({ type: 'signin.failed', ...base, ip: `10.0.0.${i}`, address: 'Evictim' });
        clock.t += 1000;
      }
      expect(anomalies()).toHaveLength(0);
      sink.emit({ type: 'signin.failed', ...base, ip: '10.0.1.1', address: 'Evictim' });
      expect(anomalies()).toEqual([
        {
          type: 'anomaly.failed_signins',
          at: new Date(clock.t).toISOString(),
          requestId: 'r1',
          ip: '10.0.1.1',
          userAgent: 'ua',
          address: 'Evictim',
          detail: { key: 'address', count: 10, windowMs: 60_000, stage: 'signature' },
        },
      ]);
      for (let i = 0; i < 20; i++)
        sink.emit({ type: 'signin.failed', ...base, ip: `10.0.2.${i}`, address: 'Evictim' });
      expect(anomalies()).toHaveLength(1);
      // a new window: counted afresh
      clock.t += 60_000;
      for (let i = 0; i < 10; i++)
        sink.emit({ type: 'signin.failed', ...base, ip: `10.0.3.${i}`, address: 'Evictim' });
      expect(anomalies()).toHaveLength(2);
    });

    it('raises per IP across many addresses, and failures spread over windows do not', () => {
      const { sink, anomalies, clock } = setup({ threshold: 3, windowMs: 1000 });
      // 600 ms apart: never 3 in one window (windows start at 0, 1200, 2400)
      for (let i = 0; i < 6; i++) {
        sink.emit({ type: 'signin.failed', ...base, address: `E${i}` });
        clock.t += 600;
      }
      expect(anomalies()).toHaveLength(0);
      clock.t += 5000;
      for (let i = 0; i < 3; i++) {
        sink.emit({ type: 'signin.failed', ...base, address: `F${i}` });
        clock.t += 400;
      }
      expect(anomalies().map((e) => e.detail)).toEqual([
        { key: 'ip', count: 3, windowMs: 1000, stage: 'signature' },
      ]);
      const ipAlert = anomalies()[0]!;
      expect(ipAlert.address).toBeUndefined();
      expect(ipAlert.ip).toBe(base.ip);
    });

    it('ignores events other than signin.failed', () => {
      const { sink, anomalies } = setup({ threshold: 2 });
      for (let i = 0; i < 5; i++) sink.emit({ type: 'rate_limited', ...base, address: 'E' });
      expect(anomalies()).toHaveLength(0);
    });

    it('keeps at most maxKeys counters, evicting the oldest', () => {
      const { sink, anomalies } = setup({ threshold: 2, maxKeys: 2 });
      const fail = (ip: string) => sink.emit({ type: 'signin.failed', ...base, ip });
      fail('1.1.1.1');
      fail('2.2.2.2');
      fail('3.3.3.3'); // evicts 1.1.1.1
      fail('1.1.1.1'); // counted from 1 again (evicts 2.2.2.2)
      expect(anomalies()).toHaveLength(0);
      fail('1.1.1.1');
      expect(anomalies().map((e) => e.ip)).toEqual(['1.1.1.1']);
    });
  });

  it('validates its options with exact TypeErrors', () => {
    expect(() => createEventSink({ anomaly: { threshold: 0 } })).toThrow(
      new TypeError('createEventSink: anomaly.threshold must be a positive integer'),
    );
    expect(() => createEventSink({ anomaly: { windowMs: 1.5 } })).toThrow(
      new TypeError('createEventSink: anomaly.windowMs must be a positive integer'),
    );
    expect(() => createEventSink({ onEvent: 'x' as never })).toThrow(
      new TypeError('createEventSink: onEvent must be a function'),
    );
    expect(() => createEventSink({ logger: { info() {} } as never })).toThrow(
      new TypeError('createEventSink: logger must have info, warn and error methods'),
    );
  });
});

describe('events of a full flow through the handler', () => {
  it('never contain a token, signature, cookie value or fingerprint, in onEvent or the log', async () => {
    const { createHarness, cookieValue, wallet } = await import('../test/harness.js');
    const logger = recorder();
    const h = await createHarness({ logger, anomaly: { threshold: 2 } });
    const secrets: string[] = [];
    const w = wallet();
    // a failed sign-in (wrong key) twice: signin.failed + anomaly
    for (let i = 0; i < 2; i++) {
      const { message } = await h.challenge(w);
      const signature = wallet('07').sign(message);
      secrets.push(signature);
      await h.request('POST', '/auth/verify', { body: { message, signature } });
    }
    const { message } = await h.challenge(w);
    const signature = w.sign(message);
    secrets.push(signature);
    const res = await h.request('POST', '/auth/verify', { body: { message, signature } });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { accessToken: string };
    const fgp = cookieValue(res, h.auth.config.cookies.fingerprintName)!;
    const rt = cookieValue(res, h.auth.config.cookies.refreshName)!;
    // a refresh token is `{sessionId}.{secret}`: the session id is no secret, the part after the dot is
    secrets.push(tokens.accessToken, fgp, rt, rt.split('.')[1]!);
    const refresh = (token: string) =>
      h.request('POST', '/auth/refresh', {
        headers: {
          origin: 'https://app.example.com',
          cookie: `${h.auth.config.cookies.refreshName}=${token}; ${h.auth.config.cookies.fingerprintName}=${fgp}`,
        },
      });
    const rf = await refresh(rt);
    expect(rf.status).toBe(200);
    const rt2 = cookieValue(rf, h.auth.config.cookies.refreshName)!;
    const at2 = ((await rf.json()) as { accessToken: string }).accessToken;
    secrets.push(rt2, rt2.split('.')[1]!, at2);
    const rf2 = await refresh(rt2);
    expect(rf2.status).toBe(200);
    const rt3 = cookieValue(rf2, h.auth.config.cookies.refreshName)!;
    secrets.push(
      rt3,
      rt3.split('.')[1]!,
      ((await rf2.json()) as { accessToken: string }).accessToken,
    );
    // reuse of the first refresh token (its successor used, outside the grace window) →
    // refresh.reused + revoked
    h.tick(60_000);
    await refresh(rt);
    const types = h.events.map((e) => e.type);
    for (const t of [
      'challenge.issued',
      'signin.failed',
      'anomaly.failed_signins',
      'signin.succeeded',
      'refresh.succeeded',
      'refresh.reused',
      'session.revoked',
    ] as const)
      expect(types).toContain(t);
    const serialised = JSON.stringify(h.events) + JSON.stringify(logger.lines);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(serialised).not.toContain(secret);
      // nor a recognisable piece of it (refresh tokens: checked through their secret part)
      if (secret !== rt && secret !== rt2 && secret !== rt3)
        expect(serialised).not.toContain(secret.slice(0, 16));
    }
    expect(logger.lines.length).toBeGreaterThanOrEqual(h.events.length);
  });
});
