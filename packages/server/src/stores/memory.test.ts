import { describe, expect, it } from 'vitest';
import type { ChallengeRecord, SessionRecord } from '../store.js';
import { createMemoryStore } from './memory.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const challenge = (nonce: string, expiresAt: number): ChallengeRecord => ({
  nonce,
  message: `m-${nonce}`,
  address: 'E',
  domain: 'd',
  uri: 'https://d',
  chainId: 'evrmore:mainnet',
  issuedAt: T0,
  expiresAt,
});
const session = (id: string, t: number, over: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  address: 'Eaddr',
  createdAt: t,
  lastSeenAt: t,
  expiresAt: t + 1_000_000,
  idleExpiresAt: t + 100_000,
  userAgent: null,
  ip: null,
  fingerprintHash: 'f',
  revokedAt: null,
  revokedReason: null,
  ...over,
});

describe('memory store bounds', () => {
  it('a flood of challenges never holds more than maxChallenges; the newest survive', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ maxChallenges: 100, now: () => clock.t });
    for (let i = 0; i < 10_000; i++) await store.putChallenge(challenge(`n${i}`, T0 + 300_000));
    expect(store.size().challenges).toBe(100);
    expect(await store.consumeChallenge('n0')).toBeNull();
    expect(await store.consumeChallenge('n9999')).toMatchObject({ message: 'm-n9999' });
  });

  it('when full, expired challenges go first (periodic sweep), before older live ones', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({
      maxChallenges: 3,
      sweepIntervalMs: 1_000,
      now: () => clock.t,
    });
    await store.putChallenge(challenge('old-live', T0 + 10_000_000));
    await store.putChallenge(challenge('expiring', T0 + 1_000));
    await store.putChallenge(challenge('b', T0 + 10_000_000));
    clock.t += 2_000;
    await store.putChallenge(challenge('c', T0 + 10_000_000));
    expect(store.size().challenges).toBe(3);
    expect(await store.consumeChallenge('expiring')).toBeNull();
    for (const n of ['old-live', 'b', 'c']) expect(await store.consumeChallenge(n)).not.toBeNull();
  });

  it('expired challenges at the front are evicted before any live one', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ maxChallenges: 3, now: () => clock.t });
    await store.putChallenge(challenge('e1', T0 + 1_000));
    await store.putChallenge(challenge('e2', T0 + 1_000));
    await store.putChallenge(challenge('live', T0 + 10_000_000));
    clock.t += 2_000;
    await store.putChallenge(challenge('new', T0 + 10_000_000));
    expect(store.size().challenges).toBe(2);
    expect(await store.consumeChallenge('live')).not.toBeNull();
  });

  it('consumeChallenge is once-only and returns an expired record while it is still held', async () => {
    const store = createMemoryStore({ now: () => T0 + 5_000 });
    await store.putChallenge(challenge('x', T0 + 1_000));
    expect(await Promise.all([store.consumeChallenge('x'), store.consumeChallenge('x')])).toEqual([
      expect.objectContaining({ nonce: 'x' }),
      null,
    ]);
  });

  it('sessions and refresh hashes are swept after expiry; the session cap fails closed', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ maxSessions: 2, sweepIntervalMs: 1_000, now: () => clock.t });
    await store.createSession(session('s1', T0), 'h1');
    await store.createSession(session('s2', T0), 'h2');
    await expect(store.createSession(session('s3', T0), 'h3')).rejects.toMatchObject({
      name: 'StoreUnavailableError',
    });
    clock.t += 200_000; // past idle expiry
    store.sweep();
    expect(store.size()).toMatchObject({ sessions: 0, refreshHashes: 0 });
    await store.createSession(session('s3', clock.t), 'h3');
    expect(store.size().sessions).toBe(1);
  });

  it('rotateRefresh: rotated once, grace within the window, reused after it (revoking), invalid when unknown', async () => {
    const store = createMemoryStore({ now: () => T0 });
    await store.createSession(session('s1', T0), 'h0');
    const base = { graceMs: 10_000, idleExpiresAt: T0 + 100_000, graceBlob: 'blob1' };
    expect(
      (await store.rotateRefresh({ ...base, presentedHash: 'h0', newHash: 'h1', now: T0 + 1 }))
        .kind,
    ).toBe('rotated');
    expect(
      await store.rotateRefresh({
        ...base,
        presentedHash: 'h0',
        newHash: 'hx',
        now: T0 + 5_000,
        graceBlob: 'other',
      }),
    ).toMatchObject({ kind: 'grace', graceBlob: 'blob1' });
    expect(
      (
        await store.rotateRefresh({
          ...base,
          presentedHash: 'nope',
          newHash: 'hy',
          now: T0 + 5_000,
        })
      ).kind,
    ).toBe('invalid');
    const reused = await store.rotateRefresh({
      ...base,
      presentedHash: 'h0',
      newHash: 'hz',
      now: T0 + 10_001,
    });
    expect(reused).toMatchObject({ kind: 'reused', session: { revokedReason: 'refresh_reused' } });
    expect(await store.getSession('s1')).toBeNull(); // revoked sessions are freed at once
    expect(store.size()).toMatchObject({ sessions: 0, refreshHashes: 0, graceBlobs: 0 });
    expect(
      (await store.rotateRefresh({ ...base, presentedHash: 'h1', newHash: 'h2', now: T0 + 10_002 }))
        .kind,
    ).toBe('invalid');
  });

  it('signing in and out with throw-away keys never fills the session cap', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ maxSessions: 3, now: () => clock.t });
    for (let i = 0; i < 1000; i++) {
      clock.t += 1000;
      await store.createSession(session(`s${i}`, clock.t, { address: `E${i}` }), `h${i}`);
      expect(await store.revokeSession(`s${i}`, clock.t, 'logout')).toBe(true);
    }
    expect(store.size()).toMatchObject({ sessions: 0, refreshHashes: 0 });
    // revokeSessions frees too; the survivor keeps its slot.
    for (const id of ['a', 'b', 'c']) await store.createSession(session(id, clock.t), `h-${id}`);
    expect(await store.revokeSessions('Eaddr', clock.t, 'revoked_all', 'b')).toBe(2);
    expect(store.size().sessions).toBe(1);
    expect(await store.getSession('a')).toBeNull();
    expect(await store.revokeSession('a', clock.t, 'again')).toBe(false);
    await store.createSession(session('d', clock.t), 'h-d');
    await store.createSession(session('e', clock.t), 'h-e');
    expect(store.size().sessions).toBe(3);
  });

  it('sweep() reclaims grace blobs past their window and everything of expired sessions', async () => {
    const clock = { t: T0 };
    const store = createMemoryStore({ sweepIntervalMs: 1_000_000, now: () => clock.t });
    await store.createSession(session('s1', T0), 'h0');
    const base = { graceMs: 10_000, retryMs: 60_000, idleExpiresAt: T0 + 100_000 };
    await store.rotateRefresh({
      ...base,
      presentedHash: 'h0',
      newHash: 'h1',
      now: T0,
      graceBlob: 'b0',
    });
    await store.putOnce('k', 'v', T0 + 5_000);
    await store.putChallenge(challenge('c', T0 + 5_000));
    expect(store.size()).toMatchObject({ refreshHashes: 2, graceBlobs: 1, once: 1, challenges: 1 });
    clock.t = T0 + 59_999;
    store.sweep();
    expect(store.size()).toMatchObject({ graceBlobs: 1, once: 0, challenges: 0 }); // retry window
    clock.t = T0 + 60_000;
    store.sweep();
    expect(store.size()).toMatchObject({ sessions: 1, refreshHashes: 2, graceBlobs: 0 });
    clock.t = T0 + 100_000; // idle expiry
    store.sweep();
    expect(store.size()).toMatchObject({ sessions: 0, refreshHashes: 0, graceBlobs: 0 });
  });

  it('single-use values and MFA methods', async () => {
    const store = createMemoryStore({ now: () => T0 });
    await store.putOnce('k', 'v', T0 + 1);
    expect(await store.takeOnce('k')).toBe('v');
    expect(await store.takeOnce('k')).toBeNull();
    await store.putMfa({
      address: 'E',
      totpSecretEnc: 'c',
      pendingSecretEnc: null,
      enabled: true,
      backupCodeHashes: ['a', 'b'],
      lastTotpStep: 5,
      updatedAt: T0,
    });
    expect(await store.useTotpStep('E', 5)).toBe(false);
    expect(await store.useTotpStep('E', 6)).toBe(true);
    expect(await store.consumeBackupCode('E', 'a')).toBe(true);
    expect(await store.consumeBackupCode('E', 'a')).toBe(false);
    expect((await store.getMfa('E'))?.backupCodeHashes).toEqual(['b']);
    await store.deleteMfa('E');
    expect(await store.getMfa('E')).toBeNull();
  });

  it('validates its options', () => {
    expect(() => createMemoryStore({ maxChallenges: 0 })).toThrow(
      'createMemoryStore: maxChallenges must be a positive integer',
    );
  });
});
