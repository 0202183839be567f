// The `sessionPolicy` option: a per-address session cap (enforced atomically by the store at
// sign-in) and an inactivity timeout measured on authenticated requests and refreshes.
import { LRUCache } from 'lru-cache';
import * as v from 'valibot';
import { integer, options, parseOptions } from './config/validate.js';
import type { AuthRuntime } from './runtime.js';
import { advanceActivity, type SessionLimit, type SessionRecord } from './store.js';

/**
 * The session policy of {@link createEvrmoreAuth} (`sessionPolicy`). Without it: no cap on
 * sessions per address, and a session ends after `refreshIdleTtlSeconds` without a refresh (as
 * before).
 *
 * @example
 * ```ts
 * createEvrmoreAuth({
 *   domain,
 *   keys,
 *   sessionPolicy: { maxSessionsPerAddress: 3, onLimit: 'evict-oldest', idleTimeoutSeconds: 1800 },
 * });
 * ```
 */
export interface SessionPolicyConfig {
  /**
   * Most live sessions one address may hold at once, the new sign-in included. Enforced by the
   * store atomically with the session's creation: concurrent sign-ins never take an address over
   * the cap.
   * @default none (no cap)
   */
  maxSessionsPerAddress?: number;
  /**
   * What a sign-in over the cap does: `evict-oldest` revokes the address's oldest sessions (by
   * sign-in time; revocation reason `session_limit`, their next request is `token_revoked`);
   * `refuse` answers the sign-in 409 `session_limit_reached` and creates nothing.
   * @default 'evict-oldest'
   */
  onLimit?: 'evict-oldest' | 'refuse';
  /**
   * A session with no authenticated request (`authenticate`, `requireAuth`, the session routes)
   * and no refresh for this long ends (`token_revoked`, `refresh_invalid`). Activity is written
   * to the store at most once per session per `min(60, idleTimeoutSeconds / 10)` seconds (and
   * per instance), so a session may end up to that much before a full timeout of inactivity.
   * The shorter of this and `refreshIdleTtlSeconds` applies.
   * @default none (a session idles out after `refreshIdleTtlSeconds` without a refresh)
   */
  idleTimeoutSeconds?: number;
}

/**
 * {@link SessionPolicyConfig} with its defaults applied.
 *
 * @example
 * ```ts
 * auth.config.sessionPolicy.limit; // { max: 3, onLimit: 'evict-oldest' } or null
 * ```
 */
export interface ResolvedSessionPolicy {
  /** The per-address cap the store enforces at sign-in; `null`: none. */
  limit: SessionLimit | null;
  /** The inactivity timeout, seconds; `null`: none beyond `refreshIdleTtlSeconds`. */
  idleTimeoutSeconds: number | null;
  /** How long a session stays live without activity, ms (the shorter of both timeouts). */
  idleWindowMs: number;
  /**
   * Authenticated requests record activity (`lastSeenAt`, and the idle end with an idle
   * timeout) at most once per session per this many ms.
   */
  activityIntervalMs: number;
}

const POLICY = options(
  {
    maxSessionsPerAddress: v.optional(integer(1, 10_000)),
    onLimit: v.optional(
      v.picklist(['evict-oldest', 'refuse'], 'must be "evict-oldest" or "refuse"'),
      'evict-oldest',
    ),
    idleTimeoutSeconds: v.optional(integer(10, 31_536_000)),
  },
  'must be an object { maxSessionsPerAddress, onLimit, idleTimeoutSeconds }',
);

/** Without an idle timeout, `lastSeenAt` is still kept current this often (for `/auth/sessions`). */
const DEFAULT_ACTIVITY_INTERVAL_MS = 60_000;

/**
 * Validate `sessionPolicy` (throws `TypeError('createEvrmoreAuth: sessionPolicy…')`).
 *
 * @example
 * ```ts
 * resolveSessionPolicy({ maxSessionsPerAddress: 3 }, 604_800).limit; // { max: 3, onLimit: 'evict-oldest' }
 * ```
 */
export function resolveSessionPolicy(
  input: SessionPolicyConfig | undefined,
  refreshIdleTtlSeconds: number,
): ResolvedSessionPolicy {
  const p = parseOptions('createEvrmoreAuth', v.optional(POLICY, {}), input, {
    root: 'sessionPolicy',
  });
  const idle = p.idleTimeoutSeconds ?? null;
  const idleWindowMs = Math.min(refreshIdleTtlSeconds, idle ?? Infinity) * 1000;
  return {
    limit:
      p.maxSessionsPerAddress === undefined
        ? null
        : { max: p.maxSessionsPerAddress, onLimit: p.onLimit },
    idleTimeoutSeconds: idle,
    idleWindowMs,
    activityIntervalMs:
      idle === null
        ? DEFAULT_ACTIVITY_INTERVAL_MS
        : Math.min(DEFAULT_ACTIVITY_INTERVAL_MS, Math.floor((idle * 1000) / 10)),
  };
}

/**
 * The sessions whose activity this instance recorded lately (id → when), so that concurrent
 * requests of one session write at most once per interval.
 *
 * @example
 * ```ts
 * const rt = { …, activity: createActivityTracker() };
 * ```
 */
export function createActivityTracker(): LRUCache<string, number> {
  return new LRUCache<string, number>({ max: 10_000 });
}

/**
 * Record an authenticated request of a live `session` at `now`: at most one store write per
 * session per `activityIntervalMs` (judged by the record's `lastSeenAt` and this instance's own
 * recent writes). With an idle timeout the write also moves the idle end to `now + idleWindowMs`.
 * Awaited by `authenticate`: a store failure is the request's 503, never a silent miss.
 *
 * @example
 * ```ts
 * await recordActivity(rt, session, now);
 * ```
 */
export function recordActivity(
  rt: AuthRuntime,
  session: SessionRecord,
  now: number,
): Promise<void> | undefined {
  const policy = rt.config.sessionPolicy;
  const interval = policy.activityIntervalMs;
  if (now - session.lastSeenAt < interval) return undefined;
  const last = rt.activity.get(session.id);
  if (last !== undefined && now - last < interval) return undefined;
  rt.activity.set(session.id, now);
  const idleEnd = policy.idleTimeoutSeconds === null ? undefined : now + policy.idleWindowMs;
  // The session cache (sessionCheck) holds the record as read: keep it current.
  const cached = rt.caches.sessions?.get(session.id);
  if (cached) advanceActivity(cached.session, now, idleEnd);
  return rt.store.touchSession(session.id, now, idleEnd).catch((err: unknown) => {
    rt.activity.delete(session.id);
    throw err;
  });
}
