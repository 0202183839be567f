// The in-process AuthStore (the default). Atomicity is trivial in one event loop; what matters
// here is that memory stays bounded by live state: challenges and single-use values have a cap
// with TTL eviction; a session keeps its current refresh hash and at most REFRESH_HISTORY_LIMIT
// rotated ones, and a grace blob only while it can still be served; revoked sessions are freed at
// once, expired ones (and blobs past their window) at the next sweep.
import type { IpListName, StoredIpRule } from '../access/ip-lists.js';
import { LRUCache } from 'lru-cache';
import { RateLimiterMemory } from './rate-limiter-flexible.js';
import {
  advanceActivity,
  isLive,
  sessionsOverLimit,
  StoreUnavailableError,
  type ApiKeyRecord,
  type ApiKeyStore,
  type AuthStore,
  type ChallengeRecord,
  type MfaRecord,
  type SessionRecord,
} from '../store.js';
import * as v from 'valibot';
import { factoryOptions, fn, parseOptions, positiveInteger } from '../config/validate.js';
import { REFRESH_HISTORY_LIMIT } from './refresh-history.js';
import { byNewestKey } from './api-key-order.js';

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
   * Most sessions held at once (revoked sessions are freed at once, so this counts live ones and
   * expired ones not yet swept). When full after dropping expired ones, creating a session fails
   * with `StoreUnavailableError` (503): live sessions are never evicted.
   * @default 100_000
   */
  maxSessions?: number;
  /**
   * Most single-use values ({@link AuthStore.putOnce}); evicted like challenges.
   * @default 100_000
   */
  maxOnce?: number;
  /**
   * How often (ms, by the injected clock) expired challenges, values, sessions (with their
   * refresh hashes) and grace blobs past their window are swept.
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
export interface MemoryStore extends Omit<AuthStore, keyof ApiKeyStore>, ApiKeyStore {
  /** Add or replace an IP allow/deny rule (see `auth.ipLists`). */
  putIpRule(rule: StoredIpRule): Promise<void>;
  /** Remove an IP rule; `false` when there was none. */
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  /** The IP rules that have not expired at `now`. */
  listIpRules(now: number): Promise<StoredIpRule[]>;
  /** Current entry counts. */
  size(): {
    /** Challenges held (issued, not yet consumed or swept). */
    challenges: number;
    /** Sessions held (live ones; revoked sessions are freed at once). */
    sessions: number;
    /** Current plus remembered rotated refresh hashes, over all sessions. */
    refreshHashes: number;
    /** Grace blobs (sealed token sets) still held. */
    graceBlobs: number;
    /** Single-use values held (pending MFA tokens, `putOnce`). */
    once: number;
    /** Second-factor records held (one per enrolled address). */
    mfa: number;
  };
  /** Drop expired entries (and grace blobs past their window) now. */
  sweep(): void;
  /** Drop everything. */
  close(): Promise<void>;
}

/** A refresh hash rotated away, remembered for reuse detection and the grace/retry answer. */
interface Rotated {
  rotatedAt: number;
  /** The sealed token set it answers with; `null` once it can no longer be served. */
  graceBlob: string | null;
  /** The latest time (by `now`) the blob may be served. */
  blobUntil: number;
}

/** A session with its refresh-token family. */
interface Family {
  session: SessionRecord;
  /** The hash of the one refresh token that rotates. */
  current: string;
  /** Rotated hashes, oldest first (insertion order), at most REFRESH_HISTORY_LIMIT. */
  rotated: Map<string, Rotated>;
  /** The most recently rotated hash: its successor is `current`, so far unused. */
  last: string | null;
  /** The hashes in `rotated` whose grace blob is still held. */
  blobs: Set<string>;
}

/** {@link MemoryStoreOptions} with their defaults. */
const MEMORY_STORE_OPTIONS = factoryOptions({
  maxChallenges: positiveInteger(100_000),
  maxSessions: positiveInteger(100_000),
  maxOnce: positiveInteger(100_000),
  sweepIntervalMs: positiveInteger(60_000),
  now: v.optional(fn<() => number>(), () => Date.now),
});

const copySession = (s: SessionRecord): SessionRecord => ({ ...s, dpopJkt: s.dpopJkt ?? null });
const copyApiKey = (k: ApiKeyRecord): ApiKeyRecord => ({
  ...k,
  permissions: [...k.permissions],
  ipAllowList: k.ipAllowList === null ? null : [...k.ipAllowList],
});
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
  const { maxChallenges, maxSessions, maxOnce, sweepIntervalMs, now } = parseOptions(
    'createMemoryStore',
    MEMORY_STORE_OPTIONS,
    options,
  );

  // Bounded: at the cap, the oldest entry goes (after the expired ones, see makeRoom).
  const challenges = new LRUCache<string, ChallengeRecord>({ max: maxChallenges });
  const once = new LRUCache<string, { value: string; expiresAt: number }>({ max: maxOnce });
  const sessions = new Map<string, Family>();
  const byAddress = new Map<string, Set<string>>();
  /** Refresh hash (current or remembered) -> session id. */
  const refresh = new Map<string, string>();
  const mfa = new Map<string, MfaRecord>();
  const apiKeys = new Map<string, ApiKeyRecord>();
  /** IP allow/deny rules by `list|cidr` (operators' lists: small, not evicted). */
  const ipRules = new Map<string, StoredIpRule>();
  let lastSweep = now();

  /**
   * Before adding to a full cache, drop the expired entries at its old end, so a new entry
   * replaces them rather than a live one; the cache itself then evicts the oldest if still full.
   */
  function makeRoom<V extends { expiresAt: number }>(cache: LRUCache<string, V>, t: number): void {
    if (cache.size < cache.max) return;
    const expired: string[] = [];
    for (const key of cache.rkeys()) {
      if (cache.peek(key)!.expiresAt > t) break;
      expired.push(key);
    }
    for (const key of expired) cache.delete(key);
  }

  /** Drop every expired entry of a cache. */
  function dropExpired<V extends { expiresAt: number }>(
    cache: LRUCache<string, V>,
    t: number,
  ): void {
    const expired: string[] = [];
    for (const [key, value] of cache.entries()) if (value.expiresAt <= t) expired.push(key);
    for (const key of expired) cache.delete(key);
  }

  function dropSession(id: string): void {
    const f = sessions.get(id);
    if (!f) return;
    sessions.delete(id);
    const set = byAddress.get(f.session.address);
    set?.delete(id);
    if (set?.size === 0) byAddress.delete(f.session.address);
    refresh.delete(f.current);
    for (const h of f.rotated.keys()) refresh.delete(h);
  }

  function dropBlob(f: Family, hash: string): void {
    const r = f.rotated.get(hash);
    if (r) r.graceBlob = null;
    f.blobs.delete(hash);
  }

  function sweep(t = now()): void {
    lastSweep = t;
    dropExpired(challenges, t);
    dropExpired(once, t);
    for (const [id, f] of sessions) {
      if (f.session.expiresAt <= t || f.session.idleExpiresAt <= t) dropSession(id);
      else for (const h of f.blobs) if (f.rotated.get(h)!.blobUntil <= t) dropBlob(f, h);
    }
  }

  function maybeSweep(): number {
    const t = now();
    if (t - lastSweep >= sweepIntervalMs) sweep(t);
    return t;
  }

  /** Revoke and free at once: a revoked session never comes back, so nothing of it is kept. */
  function revoke(f: Family, t: number, reason: string): SessionRecord {
    dropSession(f.session.id);
    return { ...f.session, revokedAt: t, revokedReason: reason };
  }

  const store: MemoryStore = {
    name: 'memory',

    putChallenge(record) {
      const t = maybeSweep();
      challenges.delete(record.nonce);
      makeRoom(challenges, t);
      challenges.set(record.nonce, { ...record });
      return Promise.resolve();
    },

    consumeChallenge(nonce) {
      const record = challenges.get(nonce);
      if (record === undefined) return Promise.resolve(null);
      challenges.delete(nonce);
      return Promise.resolve({ ...record });
    },

    createSession(session, refreshHash, limit) {
      const t = maybeSweep();
      // The address's cap first (one event loop: counting, evicting and adding cannot interleave).
      const evicted: string[] = [];
      if (limit !== undefined) {
        const evict = sessionsOverLimit(
          [...(byAddress.get(session.address) ?? [])].map((id) => sessions.get(id)!),
          session,
          limit,
        );
        if (evict === null) return Promise.resolve({ created: false, evicted: [] });
        for (const f of evict) {
          revoke(f, session.createdAt, 'session_limit');
          evicted.push(f.session.id);
        }
      }
      if (sessions.size >= maxSessions && !sessions.has(session.id)) sweep(t);
      if (sessions.size >= maxSessions && !sessions.has(session.id))
        return Promise.reject(new StoreUnavailableError('memory store: session cap reached'));
      dropSession(session.id);
      sessions.set(session.id, {
        session: copySession(session),
        current: refreshHash,
        rotated: new Map(),
        last: null,
        blobs: new Set(),
      });
      let set = byAddress.get(session.address);
      if (!set) byAddress.set(session.address, (set = new Set()));
      set.add(session.id);
      refresh.set(refreshHash, session.id);
      return Promise.resolve({ created: true, evicted });
    },

    getSession(id) {
      const f = sessions.get(id);
      return Promise.resolve(f ? copySession(f.session) : null);
    },

    listSessions(address, t) {
      const out: SessionRecord[] = [];
      for (const id of byAddress.get(address) ?? []) {
        const s = sessions.get(id)?.session;
        if (s && isLive(s, t)) out.push(copySession(s));
      }
      out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
      return Promise.resolve(out);
    },

    touchSession(id, lastSeenAt, idleExpiresAt) {
      const s = sessions.get(id)?.session;
      if (!s || !isLive(s, lastSeenAt)) return Promise.resolve();
      advanceActivity(s, lastSeenAt, idleExpiresAt);
      return Promise.resolve();
    },

    revokeSession(id, t, reason) {
      const f = sessions.get(id);
      if (!f || f.session.revokedAt !== null) return Promise.resolve(false);
      revoke(f, t, reason);
      return Promise.resolve(true);
    },

    revokeSessions(address, t, reason, exceptId) {
      let n = 0;
      for (const id of [...(byAddress.get(address) ?? [])]) {
        const f = sessions.get(id);
        if (!f || id === exceptId || !isLive(f.session, t)) continue;
        revoke(f, t, reason);
        n++;
      }
      return Promise.resolve(n);
    },

    rotateRefresh(input) {
      maybeSweep();
      const { now: t, presentedHash, graceMs } = input;
      const retryMs = input.retryMs ?? 0;
      const sid = refresh.get(presentedHash);
      const f = sid === undefined ? undefined : sessions.get(sid);
      if (!f || !isLive(f.session, t)) return Promise.resolve({ kind: 'invalid' });
      const s = f.session;
      if (f.current === presentedHash) {
        // Every older blob's successor is used from now on: only its grace window is left.
        for (const h of f.blobs) {
          const r = f.rotated.get(h)!;
          if (t - r.rotatedAt >= graceMs) dropBlob(f, h);
          else r.blobUntil = Math.min(r.blobUntil, r.rotatedAt + graceMs);
        }
        f.rotated.set(presentedHash, {
          rotatedAt: t,
          graceBlob: input.graceBlob,
          blobUntil: t + Math.max(graceMs, retryMs),
        });
        f.blobs.add(presentedHash);
        f.last = presentedHash;
        f.current = input.newHash;
        refresh.set(input.newHash, s.id);
        for (const oldest of f.rotated.keys()) {
          if (f.rotated.size <= REFRESH_HISTORY_LIMIT) break;
          f.rotated.delete(oldest);
          f.blobs.delete(oldest);
          refresh.delete(oldest);
        }
        s.idleExpiresAt = input.idleExpiresAt;
        s.lastSeenAt = t;
        return Promise.resolve({ kind: 'rotated', session: copySession(s) });
      }
      const r = f.rotated.get(presentedHash);
      if (!r) return Promise.resolve({ kind: 'invalid' });
      const age = t - r.rotatedAt;
      // A concurrent duplicate (graceMs), or a retry of a rotation whose answer was lost while
      // its successor is still unused (retryMs): the same token set.
      if (r.graceBlob !== null && (age < graceMs || (f.last === presentedHash && age < retryMs))) {
        return Promise.resolve({ kind: 'grace', session: copySession(s), graceBlob: r.graceBlob });
      }
      return Promise.resolve({ kind: 'reused', session: revoke(f, t, 'refresh_reused') });
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

    putApiKey(record) {
      apiKeys.set(record.id, copyApiKey(record));
      return Promise.resolve();
    },

    getApiKey(id) {
      const k = apiKeys.get(id);
      return Promise.resolve(k ? copyApiKey(k) : null);
    },

    listApiKeys(owner) {
      const out: ApiKeyRecord[] = [];
      for (const k of apiKeys.values())
        if (owner === undefined || k.owner === owner) out.push(copyApiKey(k));
      return Promise.resolve(out.sort(byNewestKey));
    },

    revokeApiKey(id, at) {
      const k = apiKeys.get(id);
      if (!k || k.revokedAt !== null) return Promise.resolve(false);
      k.revokedAt = at;
      return Promise.resolve(true);
    },

    touchApiKey(id, lastUsedAt) {
      const k = apiKeys.get(id);
      if (k && k.revokedAt === null && (k.lastUsedAt === null || k.lastUsedAt < lastUsedAt))
        k.lastUsedAt = lastUsedAt;
      return Promise.resolve();
    },

    putOnce(key, value, expiresAt) {
      const t = maybeSweep();
      once.delete(key);
      makeRoom(once, t);
      once.set(key, { value, expiresAt });
      return Promise.resolve();
    },

    takeOnce(key) {
      const entry = once.get(key);
      once.delete(key);
      if (!entry || entry.expiresAt <= now()) return Promise.resolve(null);
      return Promise.resolve(entry.value);
    },

    putIpRule(rule) {
      ipRules.set(`${rule.list}|${rule.cidr}`, { ...rule });
      return Promise.resolve();
    },

    removeIpRule(list, cidr) {
      return Promise.resolve(ipRules.delete(`${list}|${cidr}`));
    },

    listIpRules(at) {
      const out: StoredIpRule[] = [];
      for (const [key, rule] of ipRules) {
        if (rule.expiresAt !== null && rule.expiresAt <= at) ipRules.delete(key);
        else out.push({ ...rule });
      }
      return Promise.resolve(out);
    },

    createRateLimiter(o) {
      return new RateLimiterMemory({
        keyPrefix: o.keyPrefix,
        points: o.points,
        duration: o.duration,
        ...(o.blockDuration === undefined ? {} : { blockDuration: o.blockDuration }),
      });
    },

    size() {
      let graceBlobs = 0;
      for (const f of sessions.values()) graceBlobs += f.blobs.size;
      return {
        challenges: challenges.size,
        sessions: sessions.size,
        refreshHashes: refresh.size,
        graceBlobs,
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
      mfa.clear();
      apiKeys.clear();
      ipRules.clear();
      return Promise.resolve();
    },
  };
  return store;
}
