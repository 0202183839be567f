// The Durable Object store (@evrmore-auth/server/cloudflare) through the store conformance suite,
// running inside workerd: a gateway Worker (fixtures/durable-object-gateway.ts) builds
// durableObjectStore(env.STORE) and exposes its methods over a test-only JSON RPC, and the suite
// gets an AuthStore that forwards every call to it. `peer` goes through a second service, a second
// isolate bound to the same Durable Object class; `unreachable` is a store whose object throws.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  StoreUnavailableError,
  type AuthStore,
  type RateLimiterOptions,
  type SessionRecord,
} from '../../packages/server/src/store.js';
import { runStoreConformance, type IsolatedStore } from '../store-conformance/conformance.js';
import { bundleWorker, startWorkerd, type WorkerdProcess } from './workerd.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/durable-object-gateway.ts', import.meta.url));
const CAP = 50; // PROBED_LIMITS in the fixture
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const uid = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

let started: Promise<{ workerd: WorkerdProcess; dir: string }> | undefined;
/** One workerd process (gateway + peer services) for the whole file. */
function workerd() {
  started ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-do-'));
    const module = join(dir, 'gateway.js');
    await bundleWorker(FIXTURE, module);
    const classes = {
      STORE: 'EvrmoreAuthStoreObject',
      PROBED: 'ProbedStoreObject',
      BROKEN: 'BrokenStoreObject',
    };
    const workerd = await startWorkerd([
      { name: 'gateway', module, durableObjects: classes },
      {
        name: 'peer',
        module,
        durableObjectBindings: Object.fromEntries(
          Object.entries(classes).map(([b, className]) => [b, { service: 'gateway', className }]),
        ),
      },
    ]);
    return { workerd, dir };
  })();
  return started;
}

afterAll(async () => {
  if (!started) return;
  const { workerd: w, dir } = await started;
  await w.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One RPC to the gateway (or peer) service. */
async function rpc(service: 'gateway' | 'peer', path: string, body: unknown): Promise<unknown> {
  const { workerd: w } = await workerd();
  const res = await fetch(`${w.urls[service]}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as {
    ok?: unknown;
    limited?: Record<string, unknown>;
    error?: { name: string; message: string };
  };
  if ('ok' in answer) return answer.ok;
  if (answer.limited) throw answer.limited; // a RateLimiterRes, as rate-limiter-flexible rejects
  const e = answer.error!;
  if (e.name === 'StoreUnavailableError') throw new StoreUnavailableError(e.message);
  throw Object.assign(new Error(e.message), { name: e.name });
}

const METHODS = [
  'putChallenge',
  'consumeChallenge',
  'createSession',
  'getSession',
  'listSessions',
  'touchSession',
  'revokeSession',
  'revokeSessions',
  'rotateRefresh',
  'getMfa',
  'putMfa',
  'deleteMfa',
  'useTotpStep',
  'consumeBackupCode',
  'putOnce',
  'takeOnce',
  'putApiKey',
  'getApiKey',
  'listApiKeys',
  'revokeApiKey',
  'touchApiKey',
  'putIpRule',
  'removeIpRule',
  'listIpRules',
] as const;
const LIMITER_METHODS = ['consume', 'get', 'delete', 'penalty', 'reward', 'block'] as const;

/** An AuthStore whose every call runs durableObjectStore(env[binding], { name }) in workerd. */
function remoteStore(service: 'gateway' | 'peer', binding: string, name: string): AuthStore {
  const store: Record<string, unknown> = { name: 'durable-object' };
  for (const m of METHODS)
    store[m] = (...args: unknown[]) => rpc(service, `/store/${binding}/${name}/${m}`, args);
  store.createRateLimiter = (options: RateLimiterOptions) =>
    Object.fromEntries(
      LIMITER_METHODS.map((m) => [
        m,
        (...args: unknown[]) => rpc(service, `/limiter/${binding}/${name}/${m}`, { options, args }),
      ]),
    ) as unknown as ReturnType<AuthStore['createRateLimiter']>;
  return store as unknown as AuthStore;
}

const probe = (name: string, op: string, args: unknown[] = []) =>
  rpc('gateway', `/probe/${encodeURIComponent(name)}/${op}`, args);

/** A fresh object of the probed class (small caps) with its probe. */
function isolated(name = uid('iso')): IsolatedStore {
  return {
    store: remoteStore('gateway', 'PROBED', name),
    probe: {
      refreshEntries: (sid, hashes) =>
        probe(name, 'refreshEntries', [sid, hashes]) as Promise<Record<string, number>>,
      graceBlobs: (sid) => probe(name, 'graceBlobs', [sid]) as Promise<number>,
      holdsSession: (sid) => probe(name, 'holdsSession', [sid]) as Promise<boolean>,
      async expire(at) {
        // The object's clock is the real one: wait until `at`, then run its alarm.
        const wait = at - Date.now() + 20;
        if (wait > 0) await sleep(wait);
        await probe(name, 'alarm');
      },
      freesRevoked: true,
      revokedRetentionMs: 0,
    },
    close: () => Promise.resolve(),
  };
}

describe('Durable Object store under workerd', () => {
  runStoreConformance('durable-object (workerd)', () => {
    const name = uid('conf');
    return Promise.resolve({
      store: remoteStore('gateway', 'STORE', name),
      peer: remoteStore('peer', 'STORE', name),
      unreachable: () => remoteStore('gateway', 'BROKEN', uid('down')),
      freesRevoked: true,
      isolated: () => Promise.resolve(isolated()),
      cleanup: () => Promise.resolve(),
    });
  });
});

const DAY = 24 * 3600 * 1000;
const challenge = (nonce: string, expiresAt: number) => ({
  nonce,
  message: `sign in ${nonce}`,
  address: 'EXAMPLEaddr',
  domain: 'example.com',
  uri: 'https://example.com/login',
  chainId: 'evrmore:mainnet',
  issuedAt: Date.now(),
  expiresAt,
});
const session = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: uid('s'),
  address: 'EXAMPLEaddr',
  createdAt: Date.now(),
  lastSeenAt: Date.now(),
  expiresAt: Date.now() + 30 * DAY,
  idleExpiresAt: Date.now() + 7 * DAY,
  userAgent: null,
  ip: null,
  fingerprintHash: 'fgp',
  revokedAt: null,
  revokedReason: null,
  ...over,
});
const keysOf = (name: string) => probe(name, 'keys') as Promise<Record<string, number>>;
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('Durable Object store under workerd: bounds', () => {
  it(`a flood of challenges, single-use values and rate-limit keys keeps ${CAP} of each (the newest)`, async () => {
    const name = uid('flood');
    const { store } = isolated(name);
    const far = Date.now() + 300_000;
    const n = CAP * 3;
    for (let i = 0; i < n; i++) {
      await store.putChallenge(challenge(`n${i}`, far));
      await store.putOnce(`o${i}`, 'value', far);
    }
    const limiter = store.createRateLimiter({ keyPrefix: 'rl', points: 5, duration: 60 });
    for (let i = 0; i < n; i++) await limiter.consume(`ip${i}`);
    const keys = await keysOf(name);
    expect(keys).toMatchObject({ c: CAP, xc: CAP, o: CAP, xo: CAP, l: CAP, xl: CAP });
    expect(await probe(name, 'counts')).toEqual({ c: CAP, o: CAP, s: 0, l: CAP });
    // The oldest were pushed out, the newest are intact.
    expect(await store.consumeChallenge('n0')).toBeNull();
    expect(await store.consumeChallenge(`n${n - 1}`)).toMatchObject({ nonce: `n${n - 1}` });
    expect(await store.takeOnce('o0')).toBeNull();
    expect(await store.takeOnce(`o${n - 1}`)).toBe('value');
    expect(await probe(name, 'counts')).toEqual({ c: CAP - 1, o: CAP - 1, s: 0, l: CAP });
  });

  it('a full session table refuses a new session with StoreUnavailableError and keeps the live ones', async () => {
    const name = uid('cap');
    const { store } = isolated(name);
    const live = Array.from({ length: CAP }, () => session());
    for (const s of live) await store.createSession(s, uid('h'));
    const err = await rejection(store.createSession(session(), uid('h')));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toContain('503');
    for (const s of live) expect(await store.getSession(s.id)).toMatchObject(s);
    // Freeing one makes room again.
    expect(await store.revokeSession(live[0]!.id, Date.now(), 'logout')).toBe(true);
    await store.createSession(session(), uid('h'));
    expect(await probe(name, 'counts')).toMatchObject({ s: CAP });
  });

  it('the alarm drops expired challenges, values, sessions (with their hashes and blobs) and counters', async () => {
    const name = uid('alarm');
    const { store } = isolated(name);
    const soon = Date.now() + 300;
    for (let i = 0; i < 5; i++) {
      await store.putChallenge(challenge(`n${i}`, soon));
      await store.putOnce(`o${i}`, 'v', soon);
      const s = session({ idleExpiresAt: soon });
      await store.createSession(s, `${s.id}-h0`);
      const r = await store.rotateRefresh({
        presentedHash: `${s.id}-h0`,
        newHash: `${s.id}-h1`,
        now: Date.now(),
        graceMs: 10_000,
        idleExpiresAt: soon,
        graceBlob: 'blob',
      });
      expect(r.kind).toBe('rotated');
    }
    const limiter = store.createRateLimiter({ keyPrefix: 'rl', points: 5, duration: 1 });
    for (let i = 0; i < 5; i++) await limiter.consume(`ip${i}`);
    await store.putMfa({
      address: 'EXAMPLEaddr',
      totpSecretEnc: 'k1:x',
      pendingSecretEnc: null,
      enabled: true,
      backupCodeHashes: [],
      lastTotpStep: 0,
      updatedAt: Date.now(),
    });
    // The writes armed the object's alarm (no timers: an alarm is what outlives a request).
    const alarmAt = (await probe(name, 'alarmTime')) as number | null;
    expect(alarmAt).toBeGreaterThan(Date.now() - 1000);
    expect(await keysOf(name)).toMatchObject({ c: 5, o: 5, s: 5, r: 10, g: 5, a: 5, l: 5, m: 1 });

    await sleep(Math.max(0, soon - Date.now()) + 1100); // past the sessions' end and the 1 s window
    await probe(name, 'alarm');
    // Only what does not expire is left: the MFA record and the counts.
    expect(await keysOf(name)).toEqual({ m: 1, n: 1 });
    expect(await probe(name, 'counts')).toEqual({ c: 0, o: 0, s: 0, l: 0 });
    expect(await limiter.get('ip0')).toBeNull();
  });

  it('the alarm drops a grace blob past its window and keeps one expiry entry per live session', async () => {
    const name = uid('blob');
    const { store } = isolated(name);
    const s = session();
    await store.createSession(s, 'h0');
    const now = Date.now();
    const base = { now, graceMs: 200, retryMs: 0, idleExpiresAt: now + DAY };
    await store.rotateRefresh({ ...base, presentedHash: 'h0', newHash: 'h1', graceBlob: 'set-1' });
    expect(await keysOf(name)).toMatchObject({ s: 1, xs: 1, g: 1 });
    await sleep(300);
    await probe(name, 'alarm');
    const keys = await keysOf(name);
    expect(keys.g).toBeUndefined();
    expect(keys).toMatchObject({ s: 1, xs: 1, r: 2 });
    // Still the same family: the current token rotates, the old one is reuse.
    expect(
      (
        await store.rotateRefresh({
          ...base,
          now: Date.now(),
          presentedHash: 'h1',
          newHash: 'h2',
          graceBlob: 'set-2',
        })
      ).kind,
    ).toBe('rotated');
    // A second alarm finds nothing stale to re-read.
    await probe(name, 'alarm');
    expect(await keysOf(name)).toMatchObject({ s: 1, xs: 1, g: 1 });
  });

  it('the alarm sleeps until the first entry is due; a write pulls it to within sweepIntervalMs', async () => {
    const name = uid('sched');
    const { store } = isolated(name);
    const s = session({ idleExpiresAt: Date.now() + 3 * DAY });
    await store.createSession(s, uid('h'));
    const armed = (await probe(name, 'alarmTime')) as number;
    expect(armed).toBeLessThanOrEqual(Date.now() + 60_000);
    await probe(name, 'alarm'); // nothing due yet: the next alarm is the session's idle end
    expect(await probe(name, 'alarmTime')).toBe(s.idleExpiresAt);
    await store.putChallenge(challenge('n', Date.now() + 300_000));
    expect(await probe(name, 'alarmTime')).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('rate limiter: get, penalty, reward, block and delete act on the shared counter', async () => {
    const { store } = isolated();
    const a = store.createRateLimiter({ keyPrefix: 'rl', points: 3, duration: 60 });
    await a.consume('ip');
    expect(await a.get('ip')).toMatchObject({ consumedPoints: 1, remainingPoints: 2 });
    expect(await a.penalty('ip', 1)).toMatchObject({ consumedPoints: 2 });
    expect(await a.reward('ip', 2)).toMatchObject({ consumedPoints: 0 });
    await a.block('ip', 30);
    const limited = (await rejection(a.consume('ip'))) as { msBeforeNext: number };
    expect(limited.msBeforeNext).toBeGreaterThan(20_000);
    expect(await a.delete('ip')).toBe(true);
    expect(await a.get('ip')).toBeNull();
    await a.consume('ip');
  });

  it('a malformed request to the object is a 400 with a reason, and the object keeps serving', async () => {
    const name = uid('raw');
    expect(await rawCall(name, 'putChallenge', '[{"nonce":1}]')).toMatchObject({ status: 400 });
    expect(await rawCall(name, 'putChallenge', 'not json')).toMatchObject({ status: 400 });
    expect(await rawCall(name, 'getSession', '[]')).toMatchObject({ status: 400 });
    expect(await rawCall(name, 'dropEverything', '[]')).toMatchObject({ status: 404 });
    const bad = await rawCall(name, 'createSession', JSON.stringify([{ id: 's' }, 'h']));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: 'bad_request' });
    const { store } = isolated(name);
    const s = session();
    await store.createSession(s, uid('h'));
    expect(await store.getSession(s.id)).toMatchObject(s);
    expect(await keysOf(name)).toMatchObject({ s: 1 });
  });
});

/** Sends `body` to a probed object's operation as is. */
async function rawCall(name: string, op: string, body: string) {
  const { workerd: w } = await workerd();
  const res = await fetch(`${w.urls.gateway}/raw/${name}/${op}`, { method: 'POST', body });
  return ((await res.json()) as { ok: { status: number; body: string } }).ok;
}
