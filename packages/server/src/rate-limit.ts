// Rate limits (rate-limiter-flexible, on the store's backend so instances share counters) and
// progressive lock-out after failed signatures or MFA codes. Every budget a stranger can spend is
// keyed by the client's network (IPv6 by /64), alone or with the address: an attacker spends only
// their own budget and never locks anyone else out (PROTOCOL.md §8).
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import * as v from 'valibot';
import { boolean, integer, options, parseOptions, withMethods } from './config/validate.js';
import { authError } from './errors.js';
import { ipRateLimitKey } from './proxy.js';
import type { AuthStore } from './store.js';
import { backendFailure, isLimiterRes } from './stores/backend-errors.js';

/**
 * `points` requests per `duration` seconds.
 *
 * @example
 * ```ts
 * const rule: RateLimitRule = { points: 30, duration: 60 }; // 30 a minute
 * ```
 */
export interface RateLimitRule {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/**
 * Progressive lock-out after failures: the first `freeFailures` failures cost nothing extra;
 * failure number `freeFailures + k` (k ≥ 1) locks for `min(baseSeconds · 2^(k-1), maxSeconds)`
 * seconds.
 *
 * @example
 * ```ts
 * const lockout: LockoutRule = { freeFailures: 3, baseSeconds: 2, maxSeconds: 600 };
 * ```
 */
export interface LockoutRule {
  /** Failures allowed before any lock-out. */
  freeFailures?: number;
  /** The first lock-out, seconds; doubled with each further failure. */
  baseSeconds?: number;
  /** The longest lock-out, seconds. */
  maxSeconds?: number;
}

/**
 * Rate-limit configuration of `createEvrmoreAuth({ rateLimits })`. Every field is optional;
 * omitted rules take their defaults (listed on each rule below). "Per IP" means per client
 * network: an IPv4 address (`ipv4Prefix` bits) or an IPv6 `/64` (`ipv6Prefix` bits). Nothing a
 * stranger can send is counted per address alone: challenge and verify budgets and signature
 * lock-outs are per IP and per IP + address. MFA budgets and lock-outs are also per address,
 * because only the wallet's owner can reach the second step.
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
  /** Leading bits of an IPv4 address that make one client. @default 32 */
  ipv4Prefix?: number;
  /** Leading bits of an IPv6 address that make one client (one host can use a whole /64). @default 64 */
  ipv6Prefix?: number;
  /** @default { perIp: 30/60 s, perIpAddress: 10/60 s } */
  challenge?: {
    /** `POST /challenge` per client network. */
    perIp?: RateLimitRule;
    /** `POST /challenge` per client network and requested address. */
    perIpAddress?: RateLimitRule;
  };
  /**
   * The IP + address budget is spent only once the submission consumed a matching challenge.
   * @default { perIp: 30/60 s, perIpAddress: 10/60 s }
   */
  verify?: {
    /** `POST /verify` per client network. */
    perIp?: RateLimitRule;
    /** `POST /verify` per client network and address, once a matching challenge was consumed. */
    perIpAddress?: RateLimitRule;
  };
  /** @default { perIp: 60/60 s } */
  refresh?: {
    /** `POST /refresh` per client network. */
    perIp?: RateLimitRule;
  };
  /** @default { perIp: 30/300 s, perAddress: 10/300 s } */
  mfa?: {
    /** Second-factor attempts per client network. */
    perIp?: RateLimitRule;
    /** Second-factor attempts per address. */
    perAddress?: RateLimitRule;
  };
  /**
   * New sessions (completed sign-ins) per client network, so one network cannot fill a store's
   * session cap.
   * @default { perIp: 30/3600 s }
   */
  newSessions?: {
    /** Completed sign-ins per client network. */
    perIp?: RateLimitRule;
  };
  /**
   * Lock-out after failed signatures, counted per IP + address (`freeFailures`) and per IP
   * (`freeFailuresPerIp`, higher, since many users can share one address behind NAT). Failures
   * are remembered for `max(3600, 2 · maxSeconds)` seconds; a success clears that IP + address's
   * count.
   * @default { freeFailures: 5, freeFailuresPerIp: 20, baseSeconds: 2, maxSeconds: 900 }
   */
  lockout?: LockoutRule & {
    /** Failed signatures allowed per client network (any address) before it is locked out. */
    freeFailuresPerIp?: number;
  };
  /**
   * Lock-out after wrong second-factor codes, per address and per IP. Failures are remembered for
   * `windowSeconds` and cleared only by a correct code; `maxFailures` in that window locks the
   * address's second step until the window ends (a hard cap on guesses per day).
   * @default { freeFailures: 5, baseSeconds: 2, maxSeconds: 900, maxFailures: 20, windowSeconds: 86400 }
   */
  mfaLockout?: LockoutRule & {
    /** Wrong codes in `windowSeconds` after which the address's second step is locked until the window ends. */
    maxFailures?: number;
    /** How long wrong codes are remembered, seconds. */
    windowSeconds?: number;
  };
  /**
   * Lock-out after failed API-key attempts (malformed, unknown or wrong keys; `apiKeys` option),
   * per client network only: a guessing client is locked out, while a valid key used from
   * another network keeps working. Failures are remembered for `max(3600, 2 · maxSeconds)` seconds.
   * @default { freeFailures: 10, baseSeconds: 2, maxSeconds: 900 }
   */
  apiKeyLockout?: LockoutRule;
}

/**
 * The route a point is spent on.
 *
 * @example
 * ```ts
 * await limits.check('challenge' satisfies RateLimitRoute, { ip });
 * ```
 */
export type RateLimitRoute = 'challenge' | 'verify' | 'refresh' | 'mfa' | 'newSessions';

/**
 * Who is spending. A `null` IP (the client's address is not known) is refused in production
 * (`ClientIpUnknownError`) and keyed as `'unknown'` in development, with a warning.
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
 * await limits.check('verify', { ip });
 * // … consume the challenge the message names, then:
 * await limits.checkAddress('verify', { ip, address });
 * if (!valid) await limits.recordFailure('signature', { ip, address });
 * else await limits.recordSuccess('signature', { ip, address });
 * ```
 */
export interface RateLimits {
  /**
   * The per-IP step: refuse a locked-out IP, then spend one per-IP point. Throws
   * `EvrmoreAuthError('rate_limited', { retryAfter })` when over a limit or locked out, and
   * `StoreUnavailableError` (an `EvrmoreAuthError` with code `unavailable`) when the backend
   * fails (fail closed).
   */
  check(route: RateLimitRoute, key: { ip: string | null }): Promise<void>;
  /**
   * The address step, called only after {@link RateLimits.check} passed: refuse a locked-out IP +
   * address (MFA: address), then spend its point. Same errors as `check`.
   */
  checkAddress(route: 'challenge' | 'verify' | 'mfa', key: Required<RateLimitKey>): Promise<void>;
  /** Count a failed signature or MFA code towards progressive lock-out. */
  recordFailure(kind: 'signature' | 'mfa', key: Required<RateLimitKey>): Promise<void>;
  /** A success clears the failure count (and lock) of that IP + address (MFA: address). */
  recordSuccess(kind: 'signature' | 'mfa', key: Required<RateLimitKey>): Promise<void>;
  /** Refuse an IP locked out after failed API-key attempts (`rate_limited`); spends nothing. */
  checkApiKey(key: { ip: string | null }): Promise<void>;
  /** Count a failed API-key attempt of an IP towards its lock-out. */
  recordApiKeyFailure(key: { ip: string | null }): Promise<void>;
}

/**
 * Thrown in production when a rate-limited request's client IP cannot be known: every such
 * request would share one bucket, so one client could lock everyone out. The message says how
 * to pass the IP. The server answers 500 and logs it.
 *
 * @example
 * ```ts
 * err instanceof ClientIpUnknownError; // the deployment needs `{ ip }` or `trustedProxies`
 * ```
 */
export class ClientIpUnknownError extends Error {
  override readonly name = 'ClientIpUnknownError';
  constructor() {
    super(CLIENT_IP_HELP);
  }
}

const CLIENT_IP_HELP =
  'evrmore-auth: the client IP of an auth request is unknown, so rate limits cannot tell clients ' +
  'apart (they would share one bucket, and one client could lock everyone out). Pass the peer ' +
  'address: auth.handler(request, { ip }) (Bun: server.requestIP(request)?.address, Deno: ' +
  'info.remoteAddr.hostname; the Express, Fastify and Hono adapters pass it for you), or configure ' +
  "trustedProxies (behind a proxy: its address or CIDR range; on Cloudflare: { header: 'cf-connecting-ip' }).";

/**
 * The defaults, in points per window seconds.
 *
 * @example
 * ```ts
 * DEFAULT_RATE_LIMITS.verify.perIpAddress; // { points: 10, duration: 60 }
 * ```
 */
export const DEFAULT_RATE_LIMITS = {
  ipv4Prefix: 32,
  ipv6Prefix: 64,
  challenge: { perIp: { points: 30, duration: 60 }, perIpAddress: { points: 10, duration: 60 } },
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
} as const;

const RULE = options(
  { points: integer(1), duration: integer(1) },
  'must be an object { points, duration }',
);
const rule = (fallback: RateLimitRule) => v.optional(RULE, fallback);
/** The per-address budgets of challenge and verify became per IP + address. */
const REPLACED = v.optional(
  v.never('was replaced by perIpAddress (a per-address budget let anyone lock an address out)'),
);
const D = DEFAULT_RATE_LIMITS;
const LOCKOUT_ENTRIES = {
  freeFailures: v.optional(integer(0)),
  baseSeconds: v.optional(integer(1)),
  maxSeconds: v.optional(integer(1)),
};
/** The `rateLimits` option: shapes, ranges and per-rule defaults ({@link DEFAULT_RATE_LIMITS}). */
const RATE_LIMIT_CONFIG = options({
  enabled: v.optional(boolean, true),
  ipv4Prefix: v.optional(integer(8, 32), D.ipv4Prefix),
  ipv6Prefix: v.optional(integer(32, 128), D.ipv6Prefix),
  challenge: v.optional(
    options({
      perIp: rule(D.challenge.perIp),
      perIpAddress: rule(D.challenge.perIpAddress),
      perAddress: REPLACED,
    }),
    {},
  ),
  verify: v.optional(
    options({
      perIp: rule(D.verify.perIp),
      perIpAddress: rule(D.verify.perIpAddress),
      perAddress: REPLACED,
    }),
    {},
  ),
  refresh: v.optional(options({ perIp: rule(D.refresh.perIp) }), {}),
  mfa: v.optional(options({ perIp: rule(D.mfa.perIp), perAddress: rule(D.mfa.perAddress) }), {}),
  newSessions: v.optional(options({ perIp: rule(D.newSessions.perIp) }), {}),
  lockout: v.optional(
    v.pipe(
      options({ ...LOCKOUT_ENTRIES, freeFailuresPerIp: v.optional(integer(0)) }),
      v.forward(
        v.check(
          (o) =>
            o.maxSeconds === undefined || o.maxSeconds >= (o.baseSeconds ?? D.lockout.baseSeconds),
          'must be ≥ baseSeconds',
        ),
        ['maxSeconds'],
      ),
    ),
    {},
  ),
  mfaLockout: v.optional(
    v.pipe(
      options({
        ...LOCKOUT_ENTRIES,
        maxFailures: v.optional(integer(1)),
        windowSeconds: v.optional(integer(3600), D.mfaLockout.windowSeconds),
      }),
      v.forward(
        v.check(
          (o) =>
            o.maxSeconds === undefined ||
            o.maxSeconds >= (o.baseSeconds ?? D.mfaLockout.baseSeconds),
          'must be ≥ baseSeconds',
        ),
        ['maxSeconds'],
      ),
      v.forward(
        v.check(
          (o) =>
            o.maxFailures === undefined ||
            o.maxFailures > (o.freeFailures ?? D.mfaLockout.freeFailures),
          'must be > freeFailures',
        ),
        ['maxFailures'],
      ),
    ),
    {},
  ),
  apiKeyLockout: v.optional(
    v.pipe(
      options(LOCKOUT_ENTRIES),
      v.forward(
        v.check(
          (o) =>
            o.maxSeconds === undefined ||
            o.maxSeconds >= (o.baseSeconds ?? D.apiKeyLockout.baseSeconds),
          'must be ≥ baseSeconds',
        ),
        ['maxSeconds'],
      ),
    ),
    {},
  ),
});

/** Keep keys short: IPs are ≤ 45 chars and addresses 34; anything odd is cut. */
function keyPart(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'unknown';
  return value.length <= 64 ? value : `${value.slice(0, 56)}~${value.length}`;
}

/** Seconds until a limiter result's window ends (at least 1). */
function secondsOf(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/**
 * How {@link createRateLimits} treats requests whose client IP is unknown.
 *
 * @example
 * ```ts
 * const env: RateLimitEnvironment = { production: true };
 * ```
 */
export interface RateLimitEnvironment {
  /** Refuse requests without a client IP (`ClientIpUnknownError`). @default false */
  production?: boolean;
  /** Told once, in development, that a request without a client IP shares the `'unknown'` bucket. */
  warn?: (message: string) => void;
}

type Kind = 'signature' | 'mfa';
/** One lock-out: its failure counter, its lock, and the rule that turns counts into locks. */
interface Lockout {
  failures: RateLimiterAbstract;
  lock: RateLimiterAbstract;
  freeFailures: number;
  baseSeconds: number;
  maxSeconds: number;
  /** Failures in the window that lock until the window ends (MFA's hard cap). */
  cap?: number;
}

/**
 * Create the rate limits the routes use. Limiters come from `store.createRateLimiter(...)`, so
 * the Redis and Postgres stores share counters across instances. Validates `config` up front
 * (TypeError `createRateLimits: …`).
 *
 * Defaults ({@link DEFAULT_RATE_LIMITS}): challenge 30/min per IP and 10/min per IP + address;
 * verify the same; refresh 60/min per IP; MFA 30 per 5 min per IP and 10 per 5 min per address;
 * 30 new sessions an hour per IP. Lock-out after 5 failed signatures per IP + address (20 per
 * IP) for 2 s, doubling per further failure up to 15 min; after 5 wrong MFA codes likewise, with
 * at most 20 wrong codes a day per address. Key prefixes: `ea:rl:<route>:ip|ipa|a` (budgets),
 * `ea:lo:<kind>:ip|ipa|a` (failure counts) and `ea:lk:<kind>:ip|ipa|a` (locks).
 *
 * @example
 * ```ts
 * const limits = createRateLimits(createMemoryStore(), { verify: { perIp: { points: 100, duration: 60 } } });
 * await limits.check('verify', { ip: '203.0.113.7' }); // throws rate_limited when over
 * ```
 */
export function createRateLimits(
  store: AuthStore,
  config: RateLimitConfig = {},
  environment: RateLimitEnvironment = {},
): RateLimits {
  parseOptions(
    'createRateLimits',
    withMethods<AuthStore>(
      ['createRateLimiter'],
      'store must be an AuthStore with createRateLimiter',
    ),
    store,
  );
  const cfg = parseOptions('createRateLimits', RATE_LIMIT_CONFIG, config, { root: 'rateLimits' });
  const prefixes = { ipv4Prefix: cfg.ipv4Prefix, ipv6Prefix: cfg.ipv6Prefix };
  const perIp = {
    challenge: cfg.challenge.perIp,
    verify: cfg.verify.perIp,
    refresh: cfg.refresh.perIp,
    mfa: cfg.mfa.perIp,
    newSessions: cfg.newSessions.perIp,
  };
  const perAddress = {
    challenge: cfg.challenge.perIpAddress,
    verify: cfg.verify.perIpAddress,
    mfa: cfg.mfa.perAddress,
  };
  const lockout = lockoutRule(cfg.lockout, D.lockout);
  // An IP's free failures are never fewer than one IP + address's.
  const freeFailuresPerIp =
    cfg.lockout.freeFailuresPerIp ?? Math.max(D.lockout.freeFailuresPerIp, lockout.freeFailures);
  const mfaLockout = lockoutRule(cfg.mfaLockout, D.mfaLockout);
  // The hard cap is always above the free failures.
  const maxMfaFailures =
    cfg.mfaLockout.maxFailures ?? Math.max(D.mfaLockout.maxFailures, mfaLockout.freeFailures + 1);
  const mfaWindow = cfg.mfaLockout.windowSeconds;
  const apiKeyLockout = lockoutRule(cfg.apiKeyLockout, D.apiKeyLockout);

  if (cfg.enabled === false)
    return {
      check: () => Promise.resolve(),
      checkAddress: () => Promise.resolve(),
      recordFailure: () => Promise.resolve(),
      recordSuccess: () => Promise.resolve(),
      checkApiKey: () => Promise.resolve(),
      recordApiKeyFailure: () => Promise.resolve(),
    };

  const short = { challenge: 'ch', verify: 'vf', refresh: 'rf', mfa: 'mf', newSessions: 'ns' };
  const limiter = (keyPrefix: string, r: RateLimitRule): RateLimiterAbstract =>
    store.createRateLimiter({ keyPrefix, points: r.points, duration: r.duration });
  const ipLimiters = {} as Record<RateLimitRoute, RateLimiterAbstract>;
  for (const route of Object.keys(perIp) as RateLimitRoute[])
    ipLimiters[route] = limiter(`ea:rl:${short[route]}:ip`, perIp[route]);
  const addressLimiters = {
    challenge: limiter('ea:rl:ch:ipa', perAddress.challenge),
    verify: limiter('ea:rl:vf:ipa', perAddress.verify),
    mfa: limiter('ea:rl:mf:a', perAddress.mfa),
  };
  // Failure counters: a window with "unlimited" points, read for the count; locks: `block`.
  const COUNT_POINTS = 1_000_000;
  const lockoutOf = (name: string, window: number, rule: Required<LockoutRule>): Lockout => ({
    failures: store.createRateLimiter({
      keyPrefix: `ea:lo:${name}`,
      points: COUNT_POINTS,
      duration: window,
    }),
    lock: store.createRateLimiter({ keyPrefix: `ea:lk:${name}`, points: 1, duration: 1 }),
    ...rule,
  });
  const signatureWindow = Math.max(3600, 2 * lockout.maxSeconds);
  const locks: Record<Kind, { ip: Lockout; address: Lockout }> = {
    signature: {
      ip: lockoutOf('sig:ip', signatureWindow, { ...lockout, freeFailures: freeFailuresPerIp }),
      address: lockoutOf('sig:ipa', signatureWindow, lockout),
    },
    mfa: {
      ip: lockoutOf('mfa:ip', mfaWindow, mfaLockout),
      address: { ...lockoutOf('mfa:a', mfaWindow, mfaLockout), cap: maxMfaFailures },
    },
  };
  const apiKeyLocks = lockoutOf(
    'ak:ip',
    Math.max(3600, 2 * apiKeyLockout.maxSeconds),
    apiKeyLockout,
  );
  const lockKind: Partial<Record<RateLimitRoute, Kind>> = { verify: 'signature', mfa: 'mfa' };

  let warned = false;
  function ipKey(ip: string | null): string {
    const key = ipRateLimitKey(ip, prefixes);
    if (key !== null) return key;
    if (environment.production === true) throw new ClientIpUnknownError();
    if (!warned) {
      warned = true;
      const warn = environment.warn ?? ((m: string) => console.warn(m));
      warn(
        `${CLIENT_IP_HELP} In development such requests share the rate-limit key 'unknown'; production refuses them.`,
      );
    }
    return 'unknown';
  }
  /** The key of an IP + address; MFA's is the address alone (only the wallet's holder gets there). */
  const addressKey = (mfa: boolean, ip: string, address: string): string =>
    mfa ? keyPart(address) : `${ip}|${keyPart(address)}`;

  /**
   * Run one limiter operation: "limited" becomes `rate_limited`; a backend failure becomes
   * StoreUnavailableError (503), also from a custom store whose limiter rejects with the raw
   * backend error. Fail closed: no rejection lets the request through.
   */
  async function run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (isLimiterRes(err)) throw authError('rate_limited', { retryAfter: secondsOf(err) });
      if (err instanceof EvrmoreAuthError) throw err;
      throw backendFailure(store.name, err);
    }
  }

  async function checkLock(lock: RateLimiterAbstract, key: string): Promise<void> {
    const res = await run(() => lock.get(key));
    if (res !== null && res.consumedPoints > 1 && res.msBeforeNext > 0)
      throw authError('rate_limited', { retryAfter: secondsOf(res) });
  }

  async function countFailure(l: Lockout, key: string): Promise<void> {
    const res = await run(() => l.failures.consume(key));
    if (l.cap !== undefined && res.consumedPoints >= l.cap) {
      // the hard cap: no more guesses until the failure window ends
      await run(() => l.lock.block(key, Math.ceil(res.msBeforeNext / 1000)));
      return;
    }
    const over = res.consumedPoints - l.freeFailures;
    if (over <= 0) return;
    const seconds = Math.min(l.maxSeconds, l.baseSeconds * 2 ** Math.min(over - 1, 30));
    await run(() => l.lock.block(key, seconds));
  }

  return {
    async check(route, key) {
      const limiter = ipLimiters[route];
      if (limiter === undefined) throw new TypeError(`unknown rate-limit route ${String(route)}`);
      const ip = ipKey(key.ip);
      const kind = lockKind[route];
      // A locked-out caller spends no points.
      if (kind !== undefined) await checkLock(locks[kind].ip.lock, ip);
      await run(() => limiter.consume(ip));
    },

    async checkAddress(route, key) {
      const limiter = addressLimiters[route];
      if (limiter === undefined) throw new TypeError(`unknown rate-limit route ${String(route)}`);
      const ip = ipKey(key.ip);
      const kind = lockKind[route];
      const k = addressKey(route === 'mfa', ip, key.address);
      if (kind !== undefined) await checkLock(locks[kind].address.lock, k);
      await run(() => limiter.consume(k));
    },

    async recordFailure(kind, key) {
      const ip = ipKey(key.ip);
      const { ip: byIp, address: byAddress } = locks[kind];
      await Promise.all([
        countFailure(byIp, ip),
        countFailure(byAddress, addressKey(kind === 'mfa', ip, key.address)),
      ]);
    },

    async recordSuccess(kind, key) {
      const ip = ipKey(key.ip);
      const l = locks[kind].address;
      const k = addressKey(kind === 'mfa', ip, key.address);
      await Promise.all([run(() => l.failures.delete(k)), run(() => l.lock.delete(k))]);
    },

    async checkApiKey(key) {
      await checkLock(apiKeyLocks.lock, ipKey(key.ip));
    },

    async recordApiKeyFailure(key) {
      await countFailure(apiKeyLocks, ipKey(key.ip));
    },
  };
}

/** A lock-out rule with its defaults; `maxSeconds` defaults to at least `baseSeconds`. */
function lockoutRule(value: LockoutRule, defaults: Required<LockoutRule>): Required<LockoutRule> {
  const baseSeconds = value.baseSeconds ?? defaults.baseSeconds;
  return {
    freeFailures: value.freeFailures ?? defaults.freeFailures,
    baseSeconds,
    maxSeconds: value.maxSeconds ?? Math.max(defaults.maxSeconds, baseSeconds),
  };
}
