// One AuthStore assembled from parts on different backends, e.g. challenges and rate limits in
// Redis (fast, TTL-native) and sessions, refresh tokens and MFA data in Postgres (durable).

import * as v from 'valibot';
import { factoryOptions, parseOptions, withMethods } from '../config/validate.js';
import type {
  AuthStore,
  ChallengeStore,
  MfaStore,
  RateLimiterOptions,
  SessionStore,
} from '../store.js';

/**
 * Options of {@link combineStores}: which store serves each part of the contract.
 *
 * @example
 * ```ts
 * const parts: CombineStoresOptions = { challenges: redis, rateLimits: redis, sessions: postgres, mfa: postgres };
 * ```
 */
export interface CombineStoresOptions {
  /** Serves putChallenge / consumeChallenge. */
  challenges: AuthStore;
  /** Serves createRateLimiter. */
  rateLimits: AuthStore;
  /** Serves sessions and refresh-token rotation. */
  sessions: AuthStore;
  /** Serves MFA data and single-use values (putOnce / takeOnce). */
  mfa: AuthStore;
  /**
   * Serves API keys (`putApiKey`, `getApiKey`, …).
   * @default the `sessions` store
   */
  apiKeys?: AuthStore;
}

const PARTS = ['challenges', 'rateLimits', 'sessions', 'mfa'] as const;

const part = withMethods<AuthStore>(['createRateLimiter'], 'must be an AuthStore');
/** {@link CombineStoresOptions}: every part is an AuthStore. */
const COMBINE_STORES_OPTIONS = factoryOptions({
  challenges: part,
  rateLimits: part,
  sessions: part,
  mfa: part,
  apiKeys: v.optional(part),
});

/**
 * Combines stores part by part. `close()` closes each distinct store once.
 *
 * @example
 * ```ts
 * import { createRedisStore, combineStores } from '@evrmore-auth/server/redis';
 * import { createPostgresStore } from '@evrmore-auth/server/postgres';
 *
 * const redis = createRedisStore({ url: process.env.REDIS_URL });
 * const postgres = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * await postgres.migrate();
 * const store = combineStores({ challenges: redis, rateLimits: redis, sessions: postgres, mfa: postgres });
 * ```
 */
export function combineStores(options: CombineStoresOptions): AuthStore {
  const { challenges, rateLimits, sessions, mfa, apiKeys } = parseOptions(
    'combineStores',
    COMBINE_STORES_OPTIONS,
    options,
    { quote: (path) => `\`${path}\`` },
  );
  const c: ChallengeStore = challenges;
  const s: SessionStore = sessions;
  const m: MfaStore = mfa;
  const k = apiKeys ?? sessions;
  const distinct = [...new Set([challenges, rateLimits, sessions, mfa, k])];
  return {
    name: `combined(${PARTS.map((p) => `${p}:${options[p].name}`).join(',')})`,
    putChallenge: (r) => c.putChallenge(r),
    consumeChallenge: (n) => c.consumeChallenge(n),
    createSession: (session, hash, limit) => s.createSession(session, hash, limit),
    getSession: (id) => s.getSession(id),
    listSessions: (address, now) => s.listSessions(address, now),
    touchSession: (id, at, idleAt) => s.touchSession(id, at, idleAt),
    revokeSession: (id, now, reason) => s.revokeSession(id, now, reason),
    revokeSessions: (address, now, reason, exceptId) =>
      s.revokeSessions(address, now, reason, exceptId),
    rotateRefresh: (input) => s.rotateRefresh(input),
    getMfa: (a) => m.getMfa(a),
    putMfa: (r) => m.putMfa(r),
    deleteMfa: (a) => m.deleteMfa(a),
    useTotpStep: (a, step) => m.useTotpStep(a, step),
    consumeBackupCode: (a, h) => m.consumeBackupCode(a, h),
    putOnce: (key, value, exp) => m.putOnce(key, value, exp),
    takeOnce: (key) => m.takeOnce(key),
    // API keys: the methods of the store that serves them, when it has them.
    ...(k.putApiKey && k.getApiKey && k.listApiKeys && k.revokeApiKey && k.touchApiKey
      ? {
          putApiKey: (r) => k.putApiKey!(r),
          getApiKey: (id) => k.getApiKey!(id),
          listApiKeys: (owner) => k.listApiKeys!(owner),
          revokeApiKey: (id, at) => k.revokeApiKey!(id, at),
          touchApiKey: (id, at) => k.touchApiKey!(id, at),
        }
      : {}),
    createRateLimiter: (o: RateLimiterOptions) => rateLimits.createRateLimiter(o),
    // the IP lists live with the sessions (when that store keeps them)
    ...(typeof sessions.putIpRule === 'function' &&
    typeof sessions.removeIpRule === 'function' &&
    typeof sessions.listIpRules === 'function'
      ? {
          putIpRule: sessions.putIpRule.bind(sessions),
          removeIpRule: sessions.removeIpRule.bind(sessions),
          listIpRules: sessions.listIpRules.bind(sessions),
        }
      : {}),
    async close() {
      for (const store of distinct) await store.close?.();
    },
  };
}
