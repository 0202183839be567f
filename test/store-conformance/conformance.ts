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

/** What a backend under test provides. */
export interface ConformanceTarget {
  /** A fresh store on an isolated namespace (prefix / schema) of the backend. */
  store: AuthStore;
  /** A second store instance on the same namespace (another "server instance"), if shared. */
  peer?: AuthStore;
  /** A store whose backend is unreachable (closed port), to check it fails closed. */
  unreachable?: () => AuthStore;
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
        const after = await t.store.getSession(s.id);
        expect(after?.revokedAt).not.toBeNull();
        expect(after?.revokedReason).toBe('refresh_reused');
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
        const seen = await pick(1).getSession(s.id);
        expect(seen).toMatchObject({ revokedAt: at, revokedReason: 'revoked' });
        expect(await pick(1).revokeSession(s.id, at + 1, 'again')).toBe(false);
        expect(await t.store.revokeSession(uid('missing'), at, 'x')).toBe(false);
        await t.store.touchSession(s.id, at + 5000);
        const touched = await t.store.getSession(s.id);
        expect(touched?.revokedAt).toBe(at);
        expect(touched?.revokedReason).toBe('revoked');
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
        expect((await t.store.getSession(list[0]!.id))?.revokedReason).toBe('revoked_all');
        expect(await t.store.listSessions(other.address, now)).toHaveLength(1);
        expect(await t.store.revokeSessions(address, now, 'all')).toBe(1);
        expect(await t.store.listSessions(address, now)).toEqual([]);
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
