// The in-process AuthStore (the default). Atomicity is trivial in one event loop; what matters
// here is that memory stays bounded: challenges and single-use values have a cap with TTL
// eviction, sessions and refresh hashes are dropped after they expire.
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  StoreUnavailableError,
  type AuthStore,
  type ChallengeRecord,
  type MfaRecord,
  type RateLimiterOptions,
  type RotateRefreshInput,
  type RotateRefreshResult,
  type SessionRecord,
} from '../store.js';

/**
 * Options of {@link createMemoryStore}.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ maxChallenges: 10_000 });
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Most challenges held at once. When full, expired challenges are dropped first (those at the
   * old end at once, all of them at every sweep), then the oldest live one: a flood of `/challenge` calls cannot exhaust memory,
   * it can only push out older unanswered challenges (rate limits keep floods small).
   * @default 100_000
   */
  maxChallenges?: number;
  /**
   * Most sessions held at once (live or revoked-but-not-expired). When full after dropping
   * expired ones, creating a session fails with `StoreUnavailableError` (503): live sessions are
   * never evicted.
   * @default 100_000
   */
  maxSessions?: number;
  /**
   * Most single-use values ({@link AuthStore.putOnce}); evicted like challenges.
   * @default 100_000
   */
  maxOnce?: number;
  /**
   * How often (ms, by the injected clock) expired sessions, refresh hashes and values are swept.
   * @default 60_000
   */
  sweepIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The memory store with introspection for tests and metrics.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * store.size().challenges; // 0
 * ```
 */
export interface MemoryStore extends AuthStore {
  /** Current entry counts. */
  size(): {
    challenges: number;
    sessions: number;
    refreshHashes: number;
    once: number;
    mfa: number;
  };
  /** Drop expired entries now. */
  sweep(): void;
}

interface RefreshEntry {
  sessionId: string;
  /** When it was rotated away (`null`: it is the session's current token). */
  rotatedAt: number | null;
  graceBlob: string | null;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new TypeError(`createMemoryStore: ${name} must be a positive integer`);
  return value;
}

const copySession = (s: SessionRecord): SessionRecord => ({ ...s });
const copyMfa = (m: MfaRecord): MfaRecord => ({ ...m, backupCodeHashes: [...m.backupCodeHashes] });

/**
 * Create an in-memory {@link AuthStore} for one process (development, tests, single-instance
 * deployments). Use the Redis or Postgres store when several instances share sign-ins.
 *
 * @example
 * ```ts
 * import { createEvrmoreAuth, createMemoryStore } from '@evrmore-auth/server';
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys, store: createMemoryStore({ maxChallenges: 50_000 }) });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createMemoryStore: options must be an object');
  const maxChallenges = positiveInt('maxChallenges', options.maxChallenges, 100_000);
  const maxSessions = positiveInt('maxSessions', options.maxSessions, 100_000);
  const maxOnce = positiveInt('maxOnce', options.maxOnce, 100_000);
  const sweepIntervalMs = positiveInt('sweepIntervalMs', options.sweepIntervalMs, 60_000);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('createMemoryStore: now must be a function');

  const challenges = new Map<string, ChallengeRecord>();
  const once = new Map<string, { value: string; expiresAt: number }>();
  const sessions = new Map<string, SessionRecord>();
  const byAddress = new Map<string, Set<string>>();
  const refresh = new Map<string, RefreshEntry>();
  const refreshBySession = new Map<string, Set<string>>();
  const mfa = new Map<string, MfaRecord>();
  let lastSweep = now();

  /** Make room in an insertion-ordered map: expired from the front, then the oldest. */
  function makeRoom<V extends { expiresAt: number }>(
    map: Map<string, V>,
    cap: number,
    t: number,
  ): void {
    if (map.size < cap) return;
    for (const [key, value] of map) {
      if (value.expiresAt > t) break;
      map.delete(key);
    }
    while (map.size >= cap) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
    }
  }

  function dropSession(id: string): void {
    const s = sessions.get(id);
    sessions.delete(id);
    if (s) {
      const set = byAddress.get(s.address);
      set?.delete(id);
      if (set?.size === 0) byAddress.delete(s.address);
    }
    for (const h of refreshBySession.get(id) ?? []) refresh.delete(h);
    refreshBySession.delete(id);
  }

  function sweep(t = now()): void {
    lastSweep = t;
    for (const [k, c] of challenges) if (c.expiresAt <= t) challenges.delete(k);
    for (const [k, o] of once) if (o.expiresAt <= t) once.delete(k);
    for (const [id, s] of sessions) if (s.expiresAt <= t || s.idleExpiresAt <= t) dropSession(id);
  }

  function maybeSweep(): number {
    const t = now();
    if (t - lastSweep >= sweepIntervalMs) sweep(t);
    return t;
  }

  function live(s: SessionRecord, t: number): boolean {
    return s.revokedAt === null && t < s.expiresAt && t < s.idleExpiresAt;
  }

  function revoke(s: SessionRecord, t: number, reason: string): void {
    s.revokedAt = t;
    s.revokedReason = reason;
  }

  const store: MemoryStore = {
    name: 'memory',

    putChallenge(record) {
      const t = maybeSweep();
      challenges.delete(record.nonce);
      makeRoom(challenges, maxChallenges, t);
      challenges.set(record.nonce, { ...record });
      return Promise.resolve();
    },

    consumeChallenge(nonce) {
      const record = challenges.get(nonce);
      if (record === undefined) return Promise.resolve(null);
      challenges.delete(nonce);
      return Promise.resolve({ ...record });
    },

    createSession(session, refreshHash) {
      const t = maybeSweep();
      if (sessions.size >= maxSessions && !sessions.has(session.id)) sweep(t);
      if (sessions.size >= maxSessions && !sessions.has(session.id))
        return Promise.reject(new StoreUnavailableError('memory store: session cap reached'));
      dropSession(session.id);
      sessions.set(session.id, copySession(session));
      let set = byAddress.get(session.address);
      if (!set) byAddress.set(session.address, (set = new Set()));
      set.add(session.id);
      refresh.set(refreshHash, { sessionId: session.id, rotatedAt: null, graceBlob: null });
      refreshBySession.set(session.id, new Set([refreshHash]));
      return Promise.resolve();
    },

    getSession(id) {
      const s = sessions.get(id);
      return Promise.resolve(s ? copySession(s) : null);
    },

    listSessions(address, t) {
      const out: SessionRecord[] = [];
      for (const id of byAddress.get(address) ?? []) {
        const s = sessions.get(id);
        if (s && live(s, t)) out.push(copySession(s));
      }
      out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
      return Promise.resolve(out);
    },

    touchSession(id, lastSeenAt) {
      const s = sessions.get(id);
      if (s && s.revokedAt === null) s.lastSeenAt = lastSeenAt;
      return Promise.resolve();
    },

    revokeSession(id, t, reason) {
      const s = sessions.get(id);
      if (!s || s.revokedAt !== null) return Promise.resolve(false);
      revoke(s, t, reason);
      return Promise.resolve(true);
    },

    revokeSessions(address, t, reason, exceptId) {
      let n = 0;
      for (const id of byAddress.get(address) ?? []) {
        const s = sessions.get(id);
        if (!s || id === exceptId || !live(s, t)) continue;
        revoke(s, t, reason);
        n++;
      }
      return Promise.resolve(n);
    },

    rotateRefresh(input: RotateRefreshInput): Promise<RotateRefreshResult> {
      maybeSweep();
      const entry = refresh.get(input.presentedHash);
      if (!entry) return Promise.resolve({ kind: 'invalid' });
      const s = sessions.get(entry.sessionId);
      if (!s || !live(s, input.now)) return Promise.resolve({ kind: 'invalid' });
      if (entry.rotatedAt === null) {
        entry.rotatedAt = input.now;
        entry.graceBlob = input.graceBlob;
        s.idleExpiresAt = input.idleExpiresAt;
        s.lastSeenAt = input.now;
        refresh.set(input.newHash, { sessionId: s.id, rotatedAt: null, graceBlob: null });
        refreshBySession.get(s.id)?.add(input.newHash);
        return Promise.resolve({ kind: 'rotated', session: copySession(s) });
      }
      if (input.now - entry.rotatedAt < input.graceMs && entry.graceBlob !== null) {
        return Promise.resolve({
          kind: 'grace',
          session: copySession(s),
          graceBlob: entry.graceBlob,
        });
      }
      entry.graceBlob = null;
      revoke(s, input.now, 'refresh_reused');
      return Promise.resolve({ kind: 'reused', session: copySession(s) });
    },

    getMfa(address) {
      const m = mfa.get(address);
      return Promise.resolve(m ? copyMfa(m) : null);
    },

    putMfa(record) {
      mfa.set(record.address, copyMfa(record));
      return Promise.resolve();
    },

    deleteMfa(address) {
      mfa.delete(address);
      return Promise.resolve();
    },

    useTotpStep(address, step) {
      const m = mfa.get(address);
      if (!m || !(step > m.lastTotpStep)) return Promise.resolve(false);
      m.lastTotpStep = step;
      return Promise.resolve(true);
    },

    consumeBackupCode(address, codeHash) {
      const m = mfa.get(address);
      const i = m ? m.backupCodeHashes.indexOf(codeHash) : -1;
      if (!m || i < 0) return Promise.resolve(false);
      m.backupCodeHashes.splice(i, 1);
      return Promise.resolve(true);
    },

    putOnce(key, value, expiresAt) {
      const t = maybeSweep();
      once.delete(key);
      makeRoom(once, maxOnce, t);
      once.set(key, { value, expiresAt });
      return Promise.resolve();
    },

    takeOnce(key) {
      const entry = once.get(key);
      once.delete(key);
      if (!entry || entry.expiresAt <= now()) return Promise.resolve(null);
      return Promise.resolve(entry.value);
    },

    createRateLimiter(o: RateLimiterOptions): RateLimiterAbstract {
      return new RateLimiterMemory({
        keyPrefix: o.keyPrefix,
        points: o.points,
        duration: o.duration,
        ...(o.blockDuration === undefined ? {} : { blockDuration: o.blockDuration }),
      });
    },

    size() {
      return {
        challenges: challenges.size,
        sessions: sessions.size,
        refreshHashes: refresh.size,
        once: once.size,
        mfa: mfa.size,
      };
    },

    sweep() {
      sweep();
    },

    close() {
      challenges.clear();
      once.clear();
      sessions.clear();
      byAddress.clear();
      refresh.clear();
      refreshBySession.clear();
      mfa.clear();
      return Promise.resolve();
    },
  };
  return store;
}
