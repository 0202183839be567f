// Rate limits (rate-limiter-flexible, on the store's backend so instances share counters) per IP
// and per address, plus progressive lock-out after repeated failed signatures or MFA codes.
import { EvrmoreAuthError } from '@evrmore-auth/core';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthStore } from './store.js';

/**
 * `points` requests per `duration` seconds.
 *
 * @example
 * ```ts
 * const rule: RateLimitRule = { points: 30, duration: 60 }; // 30 a minute
 * ```
 */
export interface RateLimitRule {
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/**
 * Rate-limit configuration of `createEvrmoreAuth({ rateLimits })`. Every field is optional;
 * omitted rules take the defaults of {@link DEFAULT_RATE_LIMITS}.
 *
 * @example
 * ```ts
 * const rateLimits: RateLimitConfig = {
 *   verify: { perIp: { points: 100, duration: 60 } },
 *   lockout: { freeFailures: 3, maxSeconds: 3600 },
 * };
 * ```
 */
export interface RateLimitConfig {
  /** @default true */
  enabled?: boolean;
  /** @default { perIp: 30/60 s, perAddress: 10/60 s } */
  challenge?: { perIp?: RateLimitRule; perAddress?: RateLimitRule };
  /** @default { perIp: 30/60 s, perAddress: 10/60 s } */
  verify?: { perIp?: RateLimitRule; perAddress?: RateLimitRule };
  /** @default { perIp: 60/60 s } */
  refresh?: { perIp?: RateLimitRule };
  /** @default { perAddress: 10/300 s } */
  mfa?: { perAddress?: RateLimitRule };
  /**
   * Progressive lock-out after failed signatures / MFA codes, per address and per IP: the first
   * `freeFailures` failures cost nothing extra; failure number `freeFailures + k` (k ≥ 1) locks the
   * address (and the IP) for `min(baseSeconds · 2^(k-1), maxSeconds)` seconds. Failures are
   * remembered for `max(3600, 2 · maxSeconds)` seconds; a success clears the address's count.
   * @default { freeFailures: 5, baseSeconds: 2, maxSeconds: 900 }
   */
  lockout?: { freeFailures?: number; baseSeconds?: number; maxSeconds?: number };
}

/**
 * The route a point is spent on.
 *
 * @example
 * ```ts
 * await limits.check('challenge' satisfies RateLimitRoute, { ip });
 * ```
 */
export type RateLimitRoute = 'challenge' | 'verify' | 'refresh' | 'mfa';

/**
 * Who is spending. A `null` IP (the adapter did not know the peer) is keyed as `'unknown'`: all
 * such requests share one per-IP bucket.
 *
 * @example
 * ```ts
 * const key: RateLimitKey = { ip: '203.0.113.7', address: 'E…' };
 * ```
 */
export interface RateLimitKey {
  ip: string | null;
  address?: string;
}

/**
 * The limits the routes call.
 *
 * @example
 * ```ts
 * await limits.check('verify', { ip, address });
 * if (!valid) await limits.recordFailure('signature', { ip, address });
 * else await limits.recordSuccess('signature', { ip, address });
 * ```
 */
export interface RateLimits {
  /**
   * Spend one point per IP (and per address when given; the routes call it once per request).
   * Throws `EvrmoreAuthError('rate_limited', { retryAfter })` when over a limit or locked out, and
   * `EvrmoreAuthError('unavailable')` when the backend fails (fail closed).
   */
  check(route: RateLimitRoute, key: RateLimitKey): Promise<void>;
  /** Count a failed signature or MFA code towards progressive lock-out (per address and per IP). */
  recordFailure(kind: 'signature' | 'mfa', key: RateLimitKey): Promise<void>;
  /** A success clears the failure count (and lock) of that address; the IP's count stays. */
  recordSuccess(kind: 'signature' | 'mfa', key: RateLimitKey): Promise<void>;
}

/**
 * The defaults, in points per window seconds.
 *
 * @example
 * ```ts
 * DEFAULT_RATE_LIMITS.verify.perAddress; // { points: 10, duration: 60 }
 * ```
 */
export const DEFAULT_RATE_LIMITS = {
  challenge: { perIp: { points: 30, duration: 60 }, perAddress: { points: 10, duration: 60 } },
  verify: { perIp: { points: 30, duration: 60 }, perAddress: { points: 10, duration: 60 } },
  refresh: { perIp: { points: 60, duration: 60 } },
  mfa: { perAddress: { points: 10, duration: 300 } },
  lockout: { freeFailures: 5, baseSeconds: 2, maxSeconds: 900 },
} as const;

function fail(message: string): never {
  throw new TypeError(`createRateLimits: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined && !Number.isNaN(fallback)) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    fail(`${name} must be an integer ≥ ${min}`);
  return value;
}

function rule(name: string, value: unknown, fallback: RateLimitRule): RateLimitRule {
  if (value === undefined) return fallback;
  if (!isObject(value)) fail(`${name} must be an object { points, duration }`);
  return {
    points: integer(`${name}.points`, value.points, NaN, 1),
    duration: integer(`${name}.duration`, value.duration, NaN, 1),
  };
}

function section(name: string, value: unknown, allowed: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) fail(`${name} must be an object`);
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) fail(`${name}.${key} is not a known option`);
  return value;
}

/** Keep keys short: IPs are ≤ 45 chars and addresses 34; anything odd is cut. */
function keyPart(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'unknown';
  return value.length <= 64 ? value : `${value.slice(0, 56)}~${value.length}`;
}

/**
 * Whether a rejection is rate-limiter-flexible's "points spent" result rather than a backend
 * error. Duck-typed as well as `instanceof`, so a store built with another copy of the library
 * (dual CJS/ESM install) is not mistaken for an outage.
 */
function isLimiterRes(value: unknown): value is RateLimiterRes {
  if (value instanceof RateLimiterRes) return true;
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const v = value as Partial<RateLimiterRes>;
  return typeof v.msBeforeNext === 'number' && typeof v.remainingPoints === 'number';
}

/** Seconds until a limiter result's window ends (at least 1). */
function secondsOf(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * Create the rate limits the routes use. Limiters come from `store.createRateLimiter(...)`, so
 * the Redis and Postgres stores share counters across instances. Validates `config` up front
 * (TypeError `createRateLimits: …`).
 *
 * Defaults ({@link DEFAULT_RATE_LIMITS}): challenge 30/min per IP and 10/min per address; verify
 * 30/min per IP and 10/min per address; refresh 60/min per IP; MFA 10 per 5 min per address;
 * lock-out after 5 failed signatures (or MFA codes) for 2 s, doubling per further failure up to
 * 15 min, per address and per IP. A `null` IP counts as the IP `'unknown'`. Key prefixes:
 * `ea:rl:<route>:ip|a`, `ea:lo:<kind>:ip|a` (failure counts) and `ea:lk:<kind>:ip|a` (locks).
 *
 * @example
 * ```ts
 * const limits = createRateLimits(createMemoryStore(), { verify: { perIp: { points: 100, duration: 60 } } });
 * await limits.check('verify', { ip: '203.0.113.7', address: 'E…' }); // throws rate_limited when over
 * ```
 */
export function createRateLimits(store: AuthStore, config: RateLimitConfig = {}): RateLimits {
  if (!isObject(store) || typeof store.createRateLimiter !== 'function')
    fail('store must be an AuthStore with createRateLimiter');
  const cfg = section('rateLimits', config as unknown, [
    'enabled',
    'challenge',
    'verify',
    'refresh',
    'mfa',
    'lockout',
  ]);
  if (cfg.enabled !== undefined && typeof cfg.enabled !== 'boolean')
    fail('rateLimits.enabled must be a boolean');
  const D = DEFAULT_RATE_LIMITS;
  const ch = section('rateLimits.challenge', cfg.challenge, ['perIp', 'perAddress']);
  const vf = section('rateLimits.verify', cfg.verify, ['perIp', 'perAddress']);
  const rf = section('rateLimits.refresh', cfg.refresh, ['perIp']);
  const mf = section('rateLimits.mfa', cfg.mfa, ['perAddress']);
  const lo = section('rateLimits.lockout', cfg.lockout, [
    'freeFailures',
    'baseSeconds',
    'maxSeconds',
  ]);
  const rules: Record<RateLimitRoute, { perIp?: RateLimitRule; perAddress?: RateLimitRule }> = {
    challenge: {
      perIp: rule('rateLimits.challenge.perIp', ch.perIp, D.challenge.perIp),
      perAddress: rule('rateLimits.challenge.perAddress', ch.perAddress, D.challenge.perAddress),
    },
    verify: {
      perIp: rule('rateLimits.verify.perIp', vf.perIp, D.verify.perIp),
      perAddress: rule('rateLimits.verify.perAddress', vf.perAddress, D.verify.perAddress),
    },
    refresh: { perIp: rule('rateLimits.refresh.perIp', rf.perIp, D.refresh.perIp) },
    mfa: { perAddress: rule('rateLimits.mfa.perAddress', mf.perAddress, D.mfa.perAddress) },
  };
  const freeFailures = integer(
    'rateLimits.lockout.freeFailures',
    lo.freeFailures,
    D.lockout.freeFailures,
    0,
  );
  const baseSeconds = integer(
    'rateLimits.lockout.baseSeconds',
    lo.baseSeconds,
    D.lockout.baseSeconds,
    1,
  );
  const maxSeconds = integer(
    'rateLimits.lockout.maxSeconds',
    lo.maxSeconds,
    Math.max(D.lockout.maxSeconds, baseSeconds),
    1,
  );
  if (maxSeconds < baseSeconds) fail('rateLimits.lockout.maxSeconds must be ≥ baseSeconds');

  if (cfg.enabled === false)
    return {
      check: () => Promise.resolve(),
      recordFailure: () => Promise.resolve(),
      recordSuccess: () => Promise.resolve(),
    };

  const short: Record<RateLimitRoute, string> = {
    challenge: 'ch',
    verify: 'vf',
    refresh: 'rf',
    mfa: 'mf',
  };
  const limiter = (keyPrefix: string, r: RateLimitRule): RateLimiterAbstract =>
    store.createRateLimiter({ keyPrefix, points: r.points, duration: r.duration });
  const routeLimiters = {} as Record<
    RateLimitRoute,
    { perIp?: RateLimiterAbstract; perAddress?: RateLimiterAbstract }
  >;
  for (const route of Object.keys(rules) as RateLimitRoute[]) {
    const r = rules[route];
    routeLimiters[route] = {
      ...(r.perIp ? { perIp: limiter(`ea:rl:${short[route]}:ip`, r.perIp) } : {}),
      ...(r.perAddress ? { perAddress: limiter(`ea:rl:${short[route]}:a`, r.perAddress) } : {}),
    };
  }
  const failureWindow = Math.max(3600, 2 * maxSeconds);
  const COUNT_POINTS = 1_000_000;
  type Kind = 'signature' | 'mfa';
  const lockout = {} as Record<
    Kind,
    Record<'ip' | 'a', { failures: RateLimiterAbstract; lock: RateLimiterAbstract }>
  >;
  for (const kind of ['signature', 'mfa'] as const) {
    const k = kind === 'signature' ? 'sig' : 'mfa';
    const pair = (who: 'ip' | 'a') => ({
      failures: store.createRateLimiter({
        keyPrefix: `ea:lo:${k}:${who}`,
        points: COUNT_POINTS,
        duration: failureWindow,
      }),
      lock: store.createRateLimiter({ keyPrefix: `ea:lk:${k}:${who}`, points: 1, duration: 1 }),
    });
    lockout[kind] = { ip: pair('ip'), a: pair('a') };
  }
  const lockKind: Partial<Record<RateLimitRoute, Kind>> = { verify: 'signature', mfa: 'mfa' };

  const unavailable = (cause: unknown): EvrmoreAuthError =>
    new EvrmoreAuthError('unavailable', { cause });

  /** Settle every operation; a backend error wins (fail closed), else the longest wait. */
  async function settle(ops: Array<Promise<unknown>>): Promise<void> {
    const results = await Promise.allSettled(ops);
    let retryAfter = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      if (isLimiterRes(r.reason)) retryAfter = Math.max(retryAfter, secondsOf(r.reason));
      else if (r.reason instanceof EvrmoreAuthError && r.reason.code === 'rate_limited')
        retryAfter = Math.max(retryAfter, r.reason.retryAfter ?? 1);
      else throw unavailable(r.reason);
    }
    if (retryAfter > 0) throw new EvrmoreAuthError('rate_limited', { retryAfter });
  }

  async function checkLock(lock: RateLimiterAbstract, key: string): Promise<void> {
    const res = await lock.get(key);
    if (res !== null && res.consumedPoints > 1 && res.msBeforeNext > 0)
      throw new EvrmoreAuthError('rate_limited', { retryAfter: secondsOf(res) });
  }

  return {
    async check(route, key) {
      const limiters = routeLimiters[route];
      if (limiters === undefined) throw new TypeError(`unknown rate-limit route ${String(route)}`);
      const ip = keyPart(key.ip);
      const address = key.address === undefined ? undefined : keyPart(key.address);
      const ops: Array<Promise<unknown>> = [];
      const kind = lockKind[route];
      if (kind !== undefined) {
        ops.push(checkLock(lockout[kind].ip.lock, ip));
        if (address !== undefined) ops.push(checkLock(lockout[kind].a.lock, address));
      }
      // Locks first: a locked-out caller spends no points.
      await settle(ops);
      const spend: Array<Promise<unknown>> = [];
      if (limiters.perIp) spend.push(limiters.perIp.consume(ip));
      if (limiters.perAddress && address !== undefined)
        spend.push(limiters.perAddress.consume(address));
      await settle(spend);
    },

    async recordFailure(kind, key) {
      const pairs = lockout[kind];
      const targets: Array<[(typeof pairs)['ip'], string]> = [[pairs.ip, keyPart(key.ip)]];
      if (key.address !== undefined) targets.push([pairs.a, keyPart(key.address)]);
      await settle(
        targets.map(async ([pair, k]) => {
          const res = await pair.failures.consume(k);
          const over = res.consumedPoints - freeFailures;
          if (over <= 0) return;
          const seconds = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(over - 1, 30));
          await pair.lock.block(k, seconds);
        }),
      ).catch((err: unknown) => {
        // a failure counter never answers "rate limited" (it has a million points); errors fail closed
        throw err instanceof EvrmoreAuthError ? err : unavailable(err);
      });
    },

    async recordSuccess(kind, key) {
      if (key.address === undefined) return;
      const pair = lockout[kind].a;
      const k = keyPart(key.address);
      await settle([pair.failures.delete(k), pair.lock.delete(k)]);
    },
  };
}
