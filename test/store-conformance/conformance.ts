// The store conformance suite: one set of behaviours every AuthStore (memory, Redis, Postgres,
// combined) must show, run unchanged against each. Stores are imported from the server package's
// sources (no build needed); the scale tests exercise the built packages.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StoreUnavailableError,
  type AuthStore,
  type ChallengeRecord,
  type MfaRecord,
  type RotateRefreshResult,
  type SessionRecord,
} from '../../packages/server/src/store.js';
import { REFRESH_HISTORY_LIMIT } from '../../packages/server/src/stores/refresh-history.js';
import { createProofReplayCache } from '../../packages/server/src/dpop/replay.js';
import { describeApiKeyConformance } from './api-keys.js';

/**
 * A look inside a backend, by its own means (memory: `size()`; Redis: HLEN/ZCARD/EXISTS;
 * Postgres: `count(*)`), for the bounded-growth checks.
 */
export interface StoreProbe {
  /**
   * What the backend holds for the refresh tokens of session `sid` (whose hashes, ever issued,
   * are `hashes`), one count per structure (e.g. `{ rows: 33 }` or `{ fields: 33, lookups: 33 }`).
   * The memory store answers with its whole-store counts (an isolated store holds one session).
   */
  refreshEntries(sid: string, hashes: string[]): Promise<Record<string, number>>;
  /** Grace blobs held for the session. */
  graceBlobs(sid: string): Promise<number>;
  /** Whether anything of the session (record, history, blobs) is still held. */
  holdsSession(sid: string): Promise<boolean>;
  /** Let the backend drop what has expired by `at` (epoch ms, real clock): sweep, purge or TTLs. */
  expire(at: number): Promise<void>;
  /** `true`: a revoked session is dropped at once (getSession answers `null` right away). */
  freesRevoked: boolean;
  /** How long a revoked session may stay held before expire() drops it. */
  revokedRetentionMs: number;
}

/** A store of its own (fresh store, or its own prefix) with short retention, and its probe. */
export interface IsolatedStore {
  store: AuthStore;
  probe: StoreProbe;
  close(): Promise<void>;
}

/** What a backend under test provides. */
export interface ConformanceTarget {
  /** A fresh store on an isolated namespace (prefix / schema) of the backend. */
  store: AuthStore;
  /** A second store instance on the same namespace (another "server instance"), if shared. */
  peer?: AuthStore;
  /** A store whose backend is unreachable (closed port), to check it fails closed. */
  unreachable?: () => AuthStore;
  /** `true` when a revoked session is dropped at once (getSession answers `null`, the memory store). */
  freesRevoked?: boolean;
  /** A store with a probe, for the bounded-growth and revoked-session checks. */
  isolated(): Promise<IsolatedStore>;
  /** Removes everything the run created and closes connections. */
  cleanup(): Promise<void>;
}

let counter = 0;
const uid = (label: string) =>
  `${label}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
/** rate-limiter-flexible rejects a spent limit with a RateLimiterRes (not an Error). */
const isLimited = (e: unknown) =>
  typeof e === 'object' && e !== null && !(e instanceof Error) && 'msBeforeNext' in e;
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function challenge(over: Partial<ChallengeRecord> = {}): ChallengeRecord {
  const now = Date.now();
  return {
    nonce: uid('n'),
    message: 'example.com wants you to sign in with your Evrmore account:\nEXAMPLE\n\nÜnïcode ✓',
    address: 'EXAMPLEaddr',
    domain: 'example.com',
    uri: 'https://example.com/login',
    chainId: 'evrmore:mainnet',
    issuedAt: now,
    expiresAt: now + 300_000,
    ...over,
  };
}

const DAY = 24 * 3600 * 1000;

function session(over: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: uid('s'),
    address: uid('E'),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 30 * DAY,
    idleExpiresAt: now + 7 * DAY,
    userAgent: 'vitest',
    ip: '127.0.0.1',
    fingerprintHash: 'fgp-hash',
    revokedAt: null,
    revokedReason: null,
    dpopJkt: null,
    ...over,
  };
}

function mfa(address: string, over: Partial<MfaRecord> = {}): MfaRecord {
  return {
    address,
    totpSecretEnc: 'k1:ciphertext',
    pendingSecretEnc: null,
    enabled: true,
    backupCodeHashes: ['code-a', 'code-b', 'code-c'],
    lastTotpStep: 0,
    updatedAt: Date.now(),
    ...over,
  };
}

/** Runs the conformance suite against the store `setup` creates. */
export function runStoreConformance(name: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`store conformance: ${name}`, () => {
    let t: ConformanceTarget;
    /** Alternates between the two instances when there is a peer. */
    const pick = (i: number) => (t.peer && i % 2 === 1 ? t.peer : t.store);

    /**
     * The session is revoked: gone at once where the store frees revoked sessions, else readable
     * with its revocation time and reason.
     */
    const expectRevoked = async (
      store: AuthStore,
      id: string,
      reason: string,
      at?: number,
    ): Promise<void> => {
      const got = await store.getSession(id);
      if (t.freesRevoked) {
        expect(got).toBeNull();
        return;
      }
      expect(got).toMatchObject({ revokedReason: reason });
      expect(got?.revokedAt).toBe(at ?? got?.revokedAt);
      expect(got?.revokedAt).not.toBeNull();
    };

    beforeAll(async () => {
      t = await setup();
    });
    afterAll(async () => {
      await t?.cleanup();
    });

    describe('challenges', () => {
      it('returns the stored record byte for byte, once', async () => {
        const c = challenge();
        await t.store.putChallenge(c);
        expect(await pick(1).consumeChallenge(c.nonce)).toEqual(c);
        expect(await t.store.consumeChallenge(c.nonce)).toBeNull();
        expect(await t.store.consumeChallenge(uid('unknown'))).toBeNull();
      });

      it('100 concurrent consumers of one nonce: exactly one winner', async () => {
        const c = challenge();
        await t.store.putChallenge(c);
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => pick(i).consumeChallenge(c.nonce)),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toEqual(c);
      });

      it('an expired challenge never comes back as live', async () => {
        const c = challenge({ expiresAt: Date.now() + 100 });
        await t.store.putChallenge(c);
        await sleep(400);
        const got = await t.store.consumeChallenge(c.nonce);
        // Either gone (TTL) or returned with its past expiry so the server says challenge_expired.
        if (got !== null) expect(got.expiresAt).toBeLessThanOrEqual(Date.now());
        expect(await t.store.consumeChallenge(c.nonce)).toBeNull();
      });
    });

    describe('sessions', () => {
      it('creates and reads a session', async () => {
        const s = session({ userAgent: null, ip: null });
        await t.store.createSession(s, uid('h'));
        expect(await pick(1).getSession(s.id)).toEqual(s);
        expect(await t.store.getSession(uid('missing'))).toBeNull();
      });

      it('keeps the DPoP binding (dpopJkt) through rotation, listing and revocation', async () => {
        const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
        const s = session({ dpopJkt: jkt });
        const h0 = uid('h0');
        await t.store.createSession(s, h0);
        expect(await pick(1).getSession(s.id)).toEqual(s);
        const now = Date.now();
        const rotated = await pick(1).rotateRefresh({
          presentedHash: h0,
          newHash: uid('h1'),
          now,
          graceMs: 10_000,
          idleExpiresAt: now + DAY,
          graceBlob: 'blob',
        });
        expect(rotated.kind === 'rotated' && rotated.session.dpopJkt).toBe(jkt);
        expect((await t.store.listSessions(s.address, now)).map((x) => x.dpopJkt)).toEqual([jkt]);
        await t.store.revokeSession(s.id, now, 'logout');
        const revoked = await pick(1).getSession(s.id);
        if (revoked !== null) expect(revoked.dpopJkt).toBe(jkt);
      });

      it('a session written without dpopJkt (code from before DPoP) reads as unbound: null', async () => {
        const { dpopJkt: _, ...old } = session();
        await t.store.createSession(old, uid('h'));
        expect((await pick(1).getSession(old.id))?.dpopJkt).toBeNull();
      });

      it('rotated, then grace with the same blob, then reused revokes the family', async () => {
        const now = Date.now();
        const s = session({ createdAt: now });
        const [h0, h1, h2, h3] = [uid('h0'), uid('h1'), uid('h2'), uid('h3')];
        await t.store.createSession(s, h0);
        const base = { now: now + 1000, graceMs: 10_000, idleExpiresAt: now + 1000 + 7 * DAY };

        const r1 = await t.store.rotateRefresh({
          ...base,
          presentedHash: h0,
          newHash: h1,
          graceBlob: 'blob-1',
        });
        expect(r1.kind).toBe('rotated');
        if (r1.kind !== 'rotated') return;
        expect(r1.session.id).toBe(s.id);
        expect(r1.session.idleExpiresAt).toBe(base.idleExpiresAt);

        // A concurrent duplicate of h0 within the grace window gets the same token set.
        const g = await pick(1).rotateRefresh({
          ...base,
          now: now + 3000,
          presentedHash: h0,
          newHash: h2,
          graceBlob: 'blob-dup',
        });
        expect(g).toMatchObject({ kind: 'grace', graceBlob: 'blob-1' });
        expect((g as { session: SessionRecord }).session.id).toBe(s.id);
        // The loser's new hash never became a token.
        expect(
          (await t.store.rotateRefresh({ ...base, presentedHash: h2, newHash: h3, graceBlob: 'x' }))
            .kind,
        ).toBe('invalid');

        // h1 is current and still rotates.
        const r2 = await t.store.rotateRefresh({
          ...base,
          now: now + 4000,
          presentedHash: h1,
          newHash: h3,
          graceBlob: 'blob-2',
        });
        expect(r2.kind).toBe('rotated');

        // h0 again after the grace window: reuse, the store revokes the whole session.
        const reused = await pick(1).rotateRefresh({
          ...base,
          now: now + 1000 + 10_000,
          presentedHash: h0,
          newHash: uid('h'),
          graceBlob: 'late',
        });
        expect(reused.kind).toBe('reused');
        expect(reused).toMatchObject({ session: { id: s.id, revokedReason: 'refresh_reused' } });
        await expectRevoked(t.store, s.id, 'refresh_reused');
        expect(await t.store.listSessions(s.address, now + 20_000)).toEqual([]);
        // Every token of the family is dead now, including the current one.
        expect(
          (
            await t.store.rotateRefresh({
              ...base,
              now: now + 12_000,
              presentedHash: h3,
              newHash: uid('h'),
              graceBlob: 'x',
            })
          ).kind,
        ).toBe('invalid');
      });

      it('unknown token is invalid', async () => {
        const r = await t.store.rotateRefresh({
          presentedHash: uid('nope'),
          newHash: uid('h'),
          now: Date.now(),
          graceMs: 10_000,
          idleExpiresAt: Date.now() + DAY,
          graceBlob: 'b',
        });
        expect(r).toEqual({ kind: 'invalid' });
      });

      it('idle and absolute expiry make the token invalid', async () => {
        const now = Date.now();
        const idle = session({ idleExpiresAt: now + 60_000, expiresAt: now + 30 * DAY });
        const abs = session({ idleExpiresAt: now + 30 * DAY, expiresAt: now + DAY });
        const hi = uid('hi');
        const ha = uid('ha');
        await t.store.createSession(idle, hi);
        await t.store.createSession(abs, ha);
        const input = { graceMs: 10_000, idleExpiresAt: now + 31 * DAY, graceBlob: 'b' };
        expect(
          (
            await t.store.rotateRefresh({
              ...input,
              now: now + 60_000,
              presentedHash: hi,
              newHash: uid('h'),
            })
          ).kind,
        ).toBe('invalid');
        expect(
          (
            await t.store.rotateRefresh({
              ...input,
              now: now + DAY,
              presentedHash: ha,
              newHash: uid('h'),
            })
          ).kind,
        ).toBe('invalid');
        // Just before the expiry both still rotate.
        expect(
          (
            await t.store.rotateRefresh({
              ...input,
              now: now + 59_999,
              presentedHash: hi,
              newHash: uid('h'),
              idleExpiresAt: now + 120_000,
            })
          ).kind,
        ).toBe('rotated');
        expect(
          (
            await t.store.rotateRefresh({
              ...input,
              now: now + DAY - 1,
              presentedHash: ha,
              newHash: uid('h'),
            })
          ).kind,
        ).toBe('rotated');
      });

      it('a revoked session does not rotate', async () => {
        const s = session();
        const h = uid('h');
        await t.store.createSession(s, h);
        expect(await t.store.revokeSession(s.id, Date.now(), 'logout')).toBe(true);
        const r = await pick(1).rotateRefresh({
          presentedHash: h,
          newHash: uid('h'),
          now: Date.now(),
          graceMs: 10_000,
          idleExpiresAt: Date.now() + DAY,
          graceBlob: 'b',
        });
        expect(r.kind).toBe('invalid');
      });

      it('50 concurrent rotations of one token: one rotated, the rest grace, one live family', async () => {
        const now = Date.now();
        const s = session();
        const h0 = uid('h0');
        await t.store.createSession(s, h0);
        const newHashes = Array.from({ length: 50 }, (_, i) => `${uid('n')}-${i}`);
        const results = await Promise.all(
          newHashes.map((newHash, i) =>
            pick(i).rotateRefresh({
              presentedHash: h0,
              newHash,
              now: now + 100,
              graceMs: 10_000,
              idleExpiresAt: now + 7 * DAY,
              graceBlob: `blob-${i}`,
            }),
          ),
        );
        const rotated = results.flatMap((r, i) => (r.kind === 'rotated' ? [i] : []));
        expect(rotated).toHaveLength(1);
        const winner = rotated[0]!;
        const others = results.filter((_, i) => i !== winner);
        expect(others.every((r) => r.kind === 'grace')).toBe(true);
        expect(new Set(others.map((r) => (r as { graceBlob: string }).graceBlob))).toEqual(
          new Set([`blob-${winner}`]),
        );
        // Exactly one of the 50 new tokens is live.
        const next: RotateRefreshResult[] = [];
        for (const [i, h] of newHashes.entries()) {
          next.push(
            await t.store.rotateRefresh({
              presentedHash: h,
              newHash: `${h}-next`,
              now: now + 200,
              graceMs: 10_000,
              idleExpiresAt: now + 7 * DAY,
              graceBlob: `next-${i}`,
            }),
          );
        }
        expect(next.map((r) => r.kind).filter((k) => k === 'rotated')).toHaveLength(1);
        expect(next[winner]!.kind).toBe('rotated');
        expect(next.filter((r) => r.kind !== 'invalid')).toHaveLength(1);
        expect((await t.store.getSession(s.id))?.revokedAt).toBeNull();
      });

      it('listSessions: live sessions only, newest first', async () => {
        const now = Date.now();
        const address = uid('E');
        const a = session({ address, createdAt: now - 3000 });
        const b = session({ address, createdAt: now - 2000 });
        const c = session({ address, createdAt: now - 1000 });
        const expired = session({ address, createdAt: now - 500, expiresAt: now + 50 });
        const idle = session({ address, createdAt: now - 400, idleExpiresAt: now + 50 });
        const other = session();
        for (const s of [a, b, c, expired, idle, other]) await t.store.createSession(s, uid('h'));
        await t.store.revokeSession(b.id, now, 'logout');
        const listed = await pick(1).listSessions(address, now + 100);
        expect(listed.map((s) => s.id)).toEqual([c.id, a.id]);
        expect(listed[0]).toEqual(c);
      });

      it('revokeSession is visible to every instance at once and never undone', async () => {
        const s = session();
        await t.store.createSession(s, uid('h'));
        expect((await pick(1).getSession(s.id))?.revokedAt).toBeNull();
        const at = Date.now();
        expect(await t.store.revokeSession(s.id, at, 'revoked')).toBe(true);
        await expectRevoked(pick(1), s.id, 'revoked', at);
        expect(await pick(1).revokeSession(s.id, at + 1, 'again')).toBe(false);
        expect(await t.store.revokeSession(uid('missing'), at, 'x')).toBe(false);
        await t.store.touchSession(s.id, at + 5000);
        await expectRevoked(t.store, s.id, 'revoked', at);
      });

      it('touchSession moves lastSeenAt of a live session', async () => {
        const s = session();
        await t.store.createSession(s, uid('h'));
        await pick(1).touchSession(s.id, s.lastSeenAt + 42);
        expect((await t.store.getSession(s.id))?.lastSeenAt).toBe(s.lastSeenAt + 42);
      });

      it('revokeSessions revokes every live session except the current one', async () => {
        const now = Date.now();
        const address = uid('E');
        const list = [0, 1, 2, 3].map((i) => session({ address, createdAt: now - i * 10 }));
        for (const s of list) await t.store.createSession(s, uid('h'));
        const other = session();
        await t.store.createSession(other, uid('h'));
        const current = list[1]!;
        expect(await pick(1).revokeSessions(address, now, 'revoked_all', current.id)).toBe(3);
        expect((await t.store.listSessions(address, now)).map((s) => s.id)).toEqual([current.id]);
        await expectRevoked(t.store, list[0]!.id, 'revoked_all', now);
        expect(await t.store.listSessions(other.address, now)).toHaveLength(1);
        expect(await t.store.revokeSessions(address, now, 'all')).toBe(1);
        expect(await t.store.listSessions(address, now)).toEqual([]);
      });
    });

    describe('session policy (cap per address, activity)', () => {
      const CAP = { max: 3, onLimit: 'evict-oldest' } as const;
      /** Three live sessions of a fresh address, signed in 30, 20 and 10 ms before `now`. */
      async function threeLive(now: number) {
        const address = uid('E');
        const old = [30, 20, 10].map((ago) =>
          session({ address, createdAt: now - ago, lastSeenAt: now - ago }),
        );
        for (const s of old)
          expect(await t.store.createSession(s, uid('h'), CAP)).toMatchObject({
            created: true,
            evicted: [],
          });
        return { address, old };
      }

      it('evict-oldest: a fourth sign-in revokes exactly the oldest (reason session_limit), on every instance', async () => {
        const now = Date.now();
        const { address, old } = await threeLive(now);
        const fourth = session({ address, createdAt: now });
        expect(await pick(1).createSession(fourth, uid('h'), CAP)).toEqual({
          created: true,
          evicted: [old[0]!.id],
        });
        await expectRevoked(t.store, old[0]!.id, 'session_limit', now);
        const live = await pick(1).listSessions(address, now);
        expect(live.map((x) => x.id)).toEqual([fourth.id, old[2]!.id, old[1]!.id]);
      });

      it('evict-oldest under concurrency: 5 simultaneous sign-ins at a cap of 3 with 3 live evict exactly 5 and keep 3', async () => {
        const now = Date.now();
        const { address, old } = await threeLive(now);
        const fresh = [1, 2, 3, 4, 5].map((i) => session({ address, createdAt: now + i }));
        const results = await Promise.all(
          fresh.map((s, i) => pick(i).createSession(s, uid('h'), CAP)),
        );
        const evicted = results.flatMap((r) => (r ? r.evicted : []));
        expect(results.every((r) => r?.created === true)).toBe(true);
        // every eviction is distinct and the live count is the cap
        expect(new Set(evicted).size).toBe(evicted.length);
        expect(evicted).toHaveLength(5);
        expect(evicted).toEqual(expect.arrayContaining(old.map((x) => x.id)));
        const live = await t.store.listSessions(address, now + 10);
        expect(live).toHaveLength(3);
        for (const id of evicted) expect(live.some((x) => x.id === id)).toBe(false);
        // revoked (a session evicted before its own record was written may read as gone)
        for (const id of evicted) {
          const got = await pick(1).getSession(id);
          if (got !== null) expect(got).toMatchObject({ revokedReason: 'session_limit' });
          if (got !== null) expect(got.revokedAt).not.toBeNull();
        }
      });

      it('refuse under concurrency: of 4 simultaneous sign-ins at a cap of 3 with 2 live, exactly 1 wins and nothing is written for the others', async () => {
        const now = Date.now();
        const address = uid('E');
        const refuse = { max: 3, onLimit: 'refuse' } as const;
        for (const ago of [20, 10])
          await t.store.createSession(session({ address, createdAt: now - ago }), uid('h'), refuse);
        const fresh = [1, 2, 3, 4].map((i) => session({ address, createdAt: now + i }));
        const results = await Promise.all(
          fresh.map((s, i) => pick(i).createSession(s, uid('h'), refuse)),
        );
        expect(results.filter((r) => r?.created === true)).toHaveLength(1);
        expect(results.filter((r) => r?.created === false)).toHaveLength(3);
        for (const r of results) expect(r?.evicted).toEqual([]);
        expect(await t.store.listSessions(address, now + 10)).toHaveLength(3);
        const refused = fresh.filter((_, i) => results[i]?.created === false);
        for (const s of refused) expect(await t.store.getSession(s.id)).toBeNull();
      });

      it("revoked, idle-expired and other addresses' sessions do not count against the cap", async () => {
        const now = Date.now();
        const address = uid('E');
        const refuse = { max: 2, onLimit: 'refuse' } as const;
        const revoked = session({ address, createdAt: now - 30 });
        const idle = session({ address, createdAt: now - 20, idleExpiresAt: now + 40 });
        const live = session({ address, createdAt: now - 10 });
        for (const s of [revoked, idle, live]) await t.store.createSession(s, uid('h'));
        await t.store.createSession(session({ createdAt: now }), uid('h'), refuse);
        await pick(1).revokeSession(revoked.id, now, 'logout');
        const next = session({ address, createdAt: now + 100 });
        // at now + 100 the idle one has expired: one live session, room for one more
        expect(await pick(1).createSession(next, uid('h'), refuse)).toEqual({
          created: true,
          evicted: [],
        });
        const over = session({ address, createdAt: now + 101 });
        expect(await t.store.createSession(over, uid('h'), refuse)).toEqual({
          created: false,
          evicted: [],
        });
      });

      it('touchSession moves the idle end forward only, capped at the absolute end, and a touched session counts as live', async () => {
        const now = Date.now();
        const s = session({
          createdAt: now,
          lastSeenAt: now,
          idleExpiresAt: now + 1000,
          expiresAt: now + 5000,
        });
        await t.store.createSession(s, uid('h'));
        await pick(1).touchSession(s.id, now + 500, now + 3000);
        expect(await t.store.getSession(s.id)).toMatchObject({
          lastSeenAt: now + 500,
          idleExpiresAt: now + 3000,
        });
        // backwards: neither moves
        await t.store.touchSession(s.id, now + 100, now + 2000);
        expect(await pick(1).getSession(s.id)).toMatchObject({
          lastSeenAt: now + 500,
          idleExpiresAt: now + 3000,
        });
        // past the absolute end: capped
        await t.store.touchSession(s.id, now + 600, now + 99_000);
        expect((await t.store.getSession(s.id))?.idleExpiresAt).toBe(now + 5000);
        // without an idle end: only lastSeenAt
        await t.store.touchSession(s.id, now + 700);
        expect(await t.store.getSession(s.id)).toMatchObject({
          lastSeenAt: now + 700,
          idleExpiresAt: now + 5000,
        });
        expect((await t.store.listSessions(s.address, now + 4000)).map((x) => x.id)).toEqual([
          s.id,
        ]);
      });

      it('touchSession never revives an idle-expired session, and the cap no longer counts it', async () => {
        const now = Date.now();
        const address = uid('E');
        const s = session({ address, createdAt: now, idleExpiresAt: now + 1000 });
        await t.store.createSession(s, uid('h'), { max: 1, onLimit: 'refuse' });
        await t.store.touchSession(s.id, now + 1000, now + 9000);
        expect((await t.store.getSession(s.id))?.idleExpiresAt ?? now + 1000).toBe(now + 1000);
        expect(await t.store.listSessions(address, now + 1000)).toEqual([]);
        const next = session({ address, createdAt: now + 1000 });
        expect(await pick(1).createSession(next, uid('h'), { max: 1, onLimit: 'refuse' })).toEqual({
          created: true,
          evicted: [],
        });
      });

      it('a session kept alive by touchSession keeps counting: a refused sign-in after the first idle end', async () => {
        const now = Date.now();
        const address = uid('E');
        const refuse = { max: 1, onLimit: 'refuse' } as const;
        const s = session({ address, createdAt: now, idleExpiresAt: now + 1000 });
        await t.store.createSession(s, uid('h'), refuse);
        await pick(1).touchSession(s.id, now + 900, now + 5000);
        const next = session({ address, createdAt: now + 2000 });
        expect(await t.store.createSession(next, uid('h'), refuse)).toEqual({
          created: false,
          evicted: [],
        });
      });

      it('a session kept alive by refresh rotation keeps counting', async () => {
        const now = Date.now();
        const address = uid('E');
        const refuse = { max: 1, onLimit: 'refuse' } as const;
        const h = uid('h');
        const s = session({ address, createdAt: now, idleExpiresAt: now + 1000 });
        await t.store.createSession(s, h, refuse);
        const r = await pick(1).rotateRefresh({
          presentedHash: h,
          newHash: uid('h'),
          now: now + 900,
          graceMs: 0,
          idleExpiresAt: now + 5000,
          graceBlob: 'blob',
        });
        expect(r.kind).toBe('rotated');
        const next = session({ address, createdAt: now + 2000 });
        expect(await t.store.createSession(next, uid('h'), refuse)).toEqual({
          created: false,
          evicted: [],
        });
      });
    });

    describe('retry window (a refresh applied while its caller saw a 503)', () => {
      const rotate = (
        store: AuthStore,
        presentedHash: string,
        now: number,
        over: Partial<Parameters<AuthStore['rotateRefresh']>[0]> = {},
      ) =>
        store.rotateRefresh({
          presentedHash,
          newHash: uid('h'),
          now,
          graceMs: 10_000,
          retryMs: 300_000,
          idleExpiresAt: now + 7 * DAY,
          graceBlob: `blob-${presentedHash}-${now}`,
          ...over,
        });

      it('after graceMs but within retryMs, while the successor is unused: grace with the identical blob', async () => {
        const now = Date.now();
        const s = session();
        const [h0, h1] = [uid('h0'), uid('h1')];
        await t.store.createSession(s, h0);
        expect((await rotate(t.store, h0, now, { newHash: h1, graceBlob: 'first-set' })).kind).toBe(
          'rotated',
        );
        // The client retries 30 s, then 4 min later (backoff): the same token set each time.
        for (const [i, later] of [30_000, 240_000, 299_999].entries()) {
          const retry = await rotate(pick(i), h0, now + later);
          expect(retry).toMatchObject({ kind: 'grace', graceBlob: 'first-set' });
          expect((retry as { session: SessionRecord }).session).toMatchObject({
            id: s.id,
            revokedAt: null,
          });
        }
        // The retries' own new hashes never became tokens; the successor still rotates.
        const r2 = await rotate(pick(1), h1, now + 300_001);
        expect(r2.kind).toBe('rotated');
        expect((await t.store.getSession(s.id))?.revokedAt).toBeNull();
      });

      it('once the successor was rotated, the older token is reused (after graceMs)', async () => {
        const now = Date.now();
        const s = session();
        const [h0, h1] = [uid('h0'), uid('h1')];
        await t.store.createSession(s, h0);
        await rotate(t.store, h0, now, { newHash: h1 });
        expect((await rotate(pick(1), h1, now + 20_000)).kind).toBe('rotated');
        const late = await rotate(t.store, h0, now + 30_000);
        expect(late.kind).toBe('reused');
        await expectRevoked(pick(1), s.id, 'refresh_reused');
      });

      it('within graceMs a duplicate is grace even after the successor was rotated', async () => {
        const now = Date.now();
        const s = session();
        const [h0, h1] = [uid('h0'), uid('h1')];
        await t.store.createSession(s, h0);
        await rotate(t.store, h0, now, { newHash: h1, graceBlob: 'set-1' });
        expect((await rotate(t.store, h1, now + 1_000)).kind).toBe('rotated');
        expect(await rotate(pick(1), h0, now + 9_999)).toMatchObject({
          kind: 'grace',
          graceBlob: 'set-1',
        });
        expect((await rotate(t.store, h0, now + 10_000)).kind).toBe('reused');
      });

      it('after retryMs the unused successor no longer shields the old token: reused', async () => {
        const now = Date.now();
        const s = session();
        const h0 = uid('h0');
        await t.store.createSession(s, h0);
        await rotate(t.store, h0, now);
        expect((await rotate(pick(1), h0, now + 300_000)).kind).toBe('reused');
        await expectRevoked(t.store, s.id, 'refresh_reused');
      });

      it('without retryMs only graceMs applies (reused after it)', async () => {
        const now = Date.now();
        const s = session();
        const h0 = uid('h0');
        await t.store.createSession(s, h0);
        const noRetry = { graceMs: 10_000, idleExpiresAt: now + DAY, graceBlob: 'x' };
        await t.store.rotateRefresh({ ...noRetry, presentedHash: h0, newHash: uid('h'), now });
        expect(
          (
            await pick(1).rotateRefresh({
              ...noRetry,
              presentedHash: h0,
              newHash: uid('h'),
              now: now + 10_000,
            })
          ).kind,
        ).toBe('reused');
      });
    });

    describe('bounded growth', () => {
      const BLOB = 'b'.repeat(3000); // about the size of a sealed token set

      it(`2,000 refreshes of one session keep at most ${REFRESH_HISTORY_LIMIT} rotated hashes and the blobs that can still be served`, async () => {
        const iso = await t.isolated();
        try {
          const t0 = Date.now();
          const s = session();
          const hashes = [uid('h0')];
          await iso.store.createSession(s, hashes[0]!);
          const STEP = 1_000;
          for (let i = 1; i <= 2000; i++) {
            hashes.push(`${uid('h')}-${i}`);
            const now = t0 + i * STEP;
            const r = await iso.store.rotateRefresh({
              presentedHash: hashes[i - 1]!,
              newHash: hashes[i]!,
              now,
              graceMs: 10_000,
              retryMs: 300_000,
              idleExpiresAt: now + 7 * DAY,
              graceBlob: `${i}:${BLOB}`,
            });
            if (r.kind !== 'rotated') throw new Error(`rotation ${i}: ${r.kind}`);
          }
          const entries = await iso.probe.refreshEntries(s.id, hashes);
          expect(Object.keys(entries).length).toBeGreaterThan(0);
          for (const [what, n] of Object.entries(entries))
            expect(n, what).toBeLessThanOrEqual(REFRESH_HISTORY_LIMIT + 1);
          // Servable at the last rotation: the ones rotated within graceMs (10 at 1 s apart).
          expect(await iso.probe.graceBlobs(s.id)).toBeLessThanOrEqual(11);
          expect(await iso.probe.graceBlobs(s.id)).toBeGreaterThanOrEqual(1);

          const last = t0 + 2000 * STEP;
          const base = { graceMs: 10_000, retryMs: 300_000, idleExpiresAt: last + DAY };
          // The newest rotated hash is remembered (a duplicate gets the same set).
          expect(
            await iso.store.rotateRefresh({
              ...base,
              presentedHash: hashes[1999]!,
              newHash: uid('h'),
              now: last + 1,
              graceBlob: 'dup',
            }),
          ).toMatchObject({ kind: 'grace', graceBlob: `2000:${BLOB}` });
          // Older than the cap: forgotten, refused as invalid (the session stays live).
          const forgotten = hashes[2000 - REFRESH_HISTORY_LIMIT - 1]!;
          expect(
            (
              await iso.store.rotateRefresh({
                ...base,
                presentedHash: forgotten,
                newHash: uid('h'),
                now: last + 20_000,
                graceBlob: 'x',
              })
            ).kind,
          ).toBe('invalid');
          expect((await iso.store.getSession(s.id))?.revokedAt).toBeNull();
          // The oldest one kept still detects reuse.
          expect(
            (
              await iso.store.rotateRefresh({
                ...base,
                presentedHash: hashes[2000 - REFRESH_HISTORY_LIMIT]!,
                newHash: uid('h'),
                now: last + 20_000,
                graceBlob: 'x',
              })
            ).kind,
          ).toBe('reused');
        } finally {
          await iso.close();
        }
      });

      it('a grace blob is dropped once it can no longer be served', async () => {
        const iso = await t.isolated();
        try {
          const t0 = Date.now();
          const s = session();
          const [h0, h1, h2] = [uid('h0'), uid('h1'), uid('h2')];
          await iso.store.createSession(s, h0);
          const base = { graceMs: 200, retryMs: 600, idleExpiresAt: t0 + DAY };
          const r1 = await iso.store.rotateRefresh({
            ...base,
            presentedHash: h0,
            newHash: h1,
            now: t0,
            graceBlob: 'set-1',
          });
          expect(r1.kind).toBe('rotated');
          expect(await iso.probe.graceBlobs(s.id)).toBe(1);
          // The successor is used after the grace window: h0's blob can never be served again.
          const r2 = await iso.store.rotateRefresh({
            ...base,
            presentedHash: h1,
            newHash: h2,
            now: t0 + 250,
            graceBlob: 'set-2',
          });
          expect(r2.kind).toBe('rotated');
          expect(await iso.probe.graceBlobs(s.id)).toBe(1);
          // h1's blob serves a retry while h2 is unused, until retryMs.
          expect(
            await iso.store.rotateRefresh({
              ...base,
              presentedHash: h1,
              newHash: uid('h'),
              now: t0 + 250 + 500,
              graceBlob: 'x',
            }),
          ).toMatchObject({ kind: 'grace', graceBlob: 'set-2' });
          await iso.probe.expire(t0 + 250 + 600 + 50);
          expect(await iso.probe.graceBlobs(s.id)).toBe(0);
          expect((await iso.store.getSession(s.id))?.revokedAt).toBeNull();
        } finally {
          await iso.close();
        }
      });

      it('revoked sessions are freed (at once, or by expiry/purge), and their tokens stay refused', async () => {
        const iso = await t.isolated();
        const { store, probe } = iso;
        try {
          const now = Date.now();
          const logout = session();
          const reused = session();
          const all = [session({ address: reused.address }), session({ address: reused.address })];
          const [a0, a1, b0, b1] = [uid('a0'), uid('a1'), uid('b0'), uid('b1')];
          await store.createSession(logout, a0);
          await store.createSession(reused, b0);
          for (const s of all) await store.createSession(s, uid('h'));
          // graceMs 0: any second presentation of a rotated token is reuse.
          const input = { now, graceMs: 0, retryMs: 0, idleExpiresAt: now + DAY };
          await store.rotateRefresh({ ...input, presentedHash: a0, newHash: a1, graceBlob: 'a' });
          await store.rotateRefresh({ ...input, presentedHash: b0, newHash: b1, graceBlob: 'b' });

          expect(await store.revokeSession(logout.id, now + 1, 'logout')).toBe(true);
          const r = await store.rotateRefresh({
            ...input,
            now: now + 1,
            presentedHash: b0,
            newHash: uid('h'),
            graceBlob: 'x',
          });
          expect(r.kind).toBe('reused');
          expect(await store.revokeSessions(reused.address, now + 1, 'revoked_all')).toBe(2);

          const ids = [logout.id, reused.id, ...all.map((s) => s.id)];
          if (probe.freesRevoked) {
            for (const id of ids) expect(await store.getSession(id)).toBeNull();
            for (const id of ids) expect(await probe.holdsSession(id)).toBe(false);
          } else {
            for (const id of ids) expect((await store.getSession(id))?.revokedAt).not.toBeNull();
          }
          await probe.expire(Math.max(now + 2, Date.now()) + probe.revokedRetentionMs + 1);
          for (const id of ids) {
            expect(await probe.holdsSession(id), id).toBe(false);
            expect(await store.getSession(id)).toBeNull();
          }
          for (const [what, n] of Object.entries(await probe.refreshEntries(logout.id, [a0, a1])))
            expect(n, what).toBe(0);
          expect(await probe.graceBlobs(reused.id)).toBe(0);
          // Their tokens stay refused.
          for (const h of [a0, a1, b0, b1])
            expect(
              (
                await store.rotateRefresh({
                  ...input,
                  now: now + 3,
                  presentedHash: h,
                  newHash: uid('h'),
                  graceBlob: 'x',
                })
              ).kind,
            ).toBe('invalid');
          expect(await store.revokeSession(logout.id, now, 'again')).toBe(false);
          expect(await store.listSessions(reused.address, now)).toEqual([]);
        } finally {
          await iso.close();
        }
      });
    });

    describe('mfa', () => {
      it('round-trips, replaces and deletes MFA data', async () => {
        const r = mfa(uid('E'), { pendingSecretEnc: 'k1:pending', enabled: false });
        expect(await t.store.getMfa(r.address)).toBeNull();
        await t.store.putMfa(r);
        const got = await pick(1).getMfa(r.address);
        expect({ ...got, backupCodeHashes: [...(got?.backupCodeHashes ?? [])].sort() }).toEqual(r);
        const r2 = { ...r, enabled: true, pendingSecretEnc: null, backupCodeHashes: ['only'] };
        await t.store.putMfa(r2);
        expect(await t.store.getMfa(r.address)).toEqual(r2);
        await t.store.deleteMfa(r.address);
        expect(await pick(1).getMfa(r.address)).toBeNull();
      });

      it('useTotpStep is monotonic and accepts a step once under concurrency', async () => {
        const r = mfa(uid('E'), { lastTotpStep: 100 });
        await t.store.putMfa(r);
        expect(await t.store.useTotpStep(r.address, 100)).toBe(false);
        expect(await t.store.useTotpStep(r.address, 99)).toBe(false);
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => pick(i).useTotpStep(r.address, 101)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await t.store.useTotpStep(r.address, 101)).toBe(false);
        expect(await t.store.useTotpStep(r.address, 100)).toBe(false);
        expect(await t.store.useTotpStep(r.address, 103)).toBe(true);
        expect(await t.store.useTotpStep(r.address, 102)).toBe(false);
        expect((await t.store.getMfa(r.address))?.lastTotpStep).toBe(103);
      });

      it('consumeBackupCode removes a code exactly once', async () => {
        const r = mfa(uid('E'));
        await t.store.putMfa(r);
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) => pick(i).consumeBackupCode(r.address, 'code-b')),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await t.store.consumeBackupCode(r.address, 'wrong')).toBe(false);
        expect([...((await t.store.getMfa(r.address))?.backupCodeHashes ?? [])].sort()).toEqual([
          'code-a',
          'code-c',
        ]);
      });

      it('putOnce / takeOnce: one taker, expired values are gone', async () => {
        const key = uid('k');
        await t.store.putOnce(key, 'secret-value', Date.now() + 60_000);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => pick(i).takeOnce(key)),
        );
        expect(results.filter((v) => v !== null)).toEqual(['secret-value']);
        const short = uid('k');
        await t.store.putOnce(short, 'v', Date.now() + 100);
        await sleep(400);
        expect(await t.store.takeOnce(short)).toBeNull();
      });
    });

    describeApiKeyConformance(() => t);

    describe('IP lists (allow/deny rules)', () => {
      it('stores, replaces, removes and expires rules; every instance sees them', async () => {
        const store = t.store;
        const T0 = Date.now();
        expect(typeof store.putIpRule).toBe('function');
        const n = Math.floor(Math.random() * 250);
        const deny = `198.18.${n}.0/24`;
        const allow = `2001:db8:${n.toString(16)}::/48`;
        const mine = (rules: Array<{ cidr: string }>) =>
          rules.filter((r) => r.cidr === deny || r.cidr === allow);
        await store.putIpRule!({
          list: 'deny',
          cidr: deny,
          note: 'a',
          createdAt: T0,
          expiresAt: null,
        });
        await pick(1).putIpRule!({
          list: 'deny',
          cidr: deny,
          note: 'b',
          createdAt: T0 + 1,
          expiresAt: T0 + 60_000,
        });
        await store.putIpRule!({
          list: 'allow',
          cidr: allow,
          note: null,
          createdAt: T0,
          expiresAt: null,
        });
        const seen = mine(await pick(1).listIpRules!(T0)).sort((x, y) =>
          x.cidr.localeCompare(y.cidr),
        );
        expect(seen).toEqual(
          [
            { list: 'deny', cidr: deny, note: 'b', createdAt: T0 + 1, expiresAt: T0 + 60_000 },
            { list: 'allow', cidr: allow, note: null, createdAt: T0, expiresAt: null },
          ].sort((x, y) => x.cidr.localeCompare(y.cidr)),
        );
        expect(mine(await store.listIpRules!(T0 + 60_000)).map((r) => r.cidr)).toEqual([allow]);
        expect(await pick(1).removeIpRule!('allow', allow)).toBe(true);
        expect(await store.removeIpRule!('allow', allow)).toBe(false);
        expect(await store.removeIpRule!('deny', allow)).toBe(false);
        expect(mine(await store.listIpRules!(T0 + 60_000))).toEqual([]);
      });
    });

    describe('rate limits', () => {
      it('counts and blocks', async () => {
        const rl = t.store.createRateLimiter({ keyPrefix: uid('rl'), points: 2, duration: 60 });
        await rl.consume('ip-1');
        await rl.consume('ip-1');
        const err = await rejection(rl.consume('ip-1'));
        expect(isLimited(err)).toBe(true);
        expect((err as { msBeforeNext: number }).msBeforeNext).toBeGreaterThan(0);
        await rl.consume('ip-2'); // other keys unaffected
      });

      it('is shared between two instances on the same backend', async (ctx) => {
        if (!t.peer) {
          ctx.skip(); // an in-process store has nothing to share with
          return;
        }
        const keyPrefix = uid('rl');
        const a = t.store.createRateLimiter({ keyPrefix, points: 3, duration: 60 });
        const b = t.peer.createRateLimiter({ keyPrefix, points: 3, duration: 60 });
        await a.consume('ip');
        await b.consume('ip');
        await a.consume('ip');
        expect(isLimited(await rejection(b.consume('ip')))).toBe(true);
        expect(isLimited(await rejection(a.consume('ip')))).toBe(true);
      });
    });

    describe('DPoP proof replay cache (on the store limiter)', () => {
      it('a proof jti is accepted once, on every instance sharing the store', async () => {
        const jkt = uid('jkt');
        const a = createProofReplayCache(t.store, 120);
        // an in-process store's limiters are per instance: one cache stands for both
        const b = t.peer ? createProofReplayCache(t.peer, 120) : a;
        const jtis = Array.from({ length: 20 }, () => uid('jti'));
        // Every jti spent once, concurrently, half on each instance; then each replayed on the other.
        const first = await Promise.all(jtis.map((j, i) => (i % 2 ? a : b).spend(jkt, j)));
        expect(first.every(Boolean)).toBe(true);
        const replays = await Promise.all(jtis.map((j, i) => (i % 2 ? b : a).spend(jkt, j)));
        expect(replays.some(Boolean)).toBe(false);
        // The same jti under another key is another proof.
        expect(await a.spend(uid('other-jkt'), jtis[0]!)).toBe(true);
      });

      it('of 20 concurrent uses of one proof exactly one is accepted', async () => {
        const a = createProofReplayCache(t.store, 120);
        // an in-process store's limiters are per instance: one cache stands for both
        const b = t.peer ? createProofReplayCache(t.peer, 120) : a;
        const jkt = uid('jkt');
        const jti = uid('jti');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).spend(jkt, jti)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('outage', () => {
      it('fails closed with StoreUnavailableError when the backend is unreachable', async (ctx) => {
        if (!t.unreachable) {
          ctx.skip(); // no backend to lose
          return;
        }
        const down = t.unreachable();
        try {
          await expect(down.putChallenge(challenge())).rejects.toBeInstanceOf(
            StoreUnavailableError,
          );
          await expect(down.consumeChallenge('x')).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(down.getSession('x')).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(
            down.rotateRefresh({
              presentedHash: 'x',
              newHash: 'y',
              now: Date.now(),
              graceMs: 1,
              idleExpiresAt: Date.now() + 1,
              graceBlob: 'b',
            }),
          ).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(down.takeOnce('x')).rejects.toBeInstanceOf(StoreUnavailableError);
          const rl = down.createRateLimiter({ keyPrefix: 'x', points: 1, duration: 1 });
          await expect(rl.consume('ip')).rejects.toBeInstanceOf(StoreUnavailableError);
        } finally {
          await down.close?.().catch(() => {});
        }
      });
    });
  });
}
