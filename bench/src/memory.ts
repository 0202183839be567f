// Memory: RSS and V8 heap with 100,000 outstanding challenges and 100,000 live sessions in the
// memory store, measured in a fresh child process (after forced GC) against its own empty state;
// and, in a second fresh child, a server (createEvrmoreAuth on the memory store) after 100,000
// refreshes of one session and 10,000 sign-in/sign-out cycles, against the same server empty:
// what it holds must be bounded by live state (RSS ratio to the empty server stays near 1).
import { runSnippet } from './lib/child.js';
import type { BenchSection } from './section.js';

const N = 100_000;
const REFRESHES = 100_000;
const CYCLES = 10_000;

const CODE = `
import { createMemoryStore } from '@evrmore-auth/server';
import { buildSignInMessage, generateNonce } from '@evrmore-auth/core';
const N = ${N};
const snap = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed }; };
const store = createMemoryStore();
const now = Date.now();
const address = 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5';
const empty = snap();
for (let i = 0; i < N; i++) {
  const nonce = generateNonce();
  const message = buildSignInMessage({ domain: 'app.example.com', address, uri: 'https://app.example.com',
    version: '1', chainId: 'evrmore:mainnet', nonce, issuedAt: new Date(now).toISOString(),
    expirationTime: new Date(now + 300000).toISOString() });
  await store.putChallenge({ nonce, message, address, domain: 'app.example.com', uri: 'https://app.example.com',
    chainId: 'evrmore:mainnet', issuedAt: now, expiresAt: now + 300000 });
}
const challenges = snap();
for (let i = 0; i < N; i++) {
  const id = generateNonce().slice(0, 22);
  await store.createSession({ id, address, createdAt: now, lastSeenAt: now, expiresAt: now + 2592000000,
    idleExpiresAt: now + 604800000, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/' + i, ip: '203.0.113.' + (i % 250),
    fingerprintHash: generateNonce().padEnd(43, 'x').slice(0, 43), revokedAt: null, revokedReason: null },
    generateNonce().padEnd(43, 'y').slice(0, 43));
}
const both = snap();
const size = store.size();
console.log(JSON.stringify({ empty, challenges, both, size }));
process.exit(0);
`;

// In-process, no HTTP: sign-in/sign-out cycles go through the lower-level API (issueChallenge,
// signIn, revokeSession) with throw-away keys signed by the native addon; refreshes call the
// server's store.rotateRefresh directly with what a refresh stores (43-character hashes, a
// 3,000-character sealed token set) — the full refresh path (token minting, sealing) costs
// ~0.3-0.5 ms each, too slow for 100,000 in a bench run, and keeps nothing itself.
const SERVER_CODE = `
import { randomBytes } from 'node:crypto';
import secp from 'secp256k1';
import { createEvrmoreAuth, createMemoryStore } from '@evrmore-auth/server';
import { encodeSignature, evrmore, messageDigest, publicKeyToAddress } from '@evrmore-auth/core';
import { nativeBackend } from '@evrmore-auth/core/backends/native';
const snap = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed }; };
const clock = { t: Date.now() };
const now = () => clock.t;
const store = createMemoryStore({ now });
const auth = createEvrmoreAuth({ domain: 'app.example.com', uri: 'https://app.example.com', production: false,
  store, now, backend: nativeBackend, rateLimits: { enabled: false }, logger: { info() {}, warn() {}, error() {} } });
await auth.ready();
const ctx = { ip: '203.0.113.7', userAgent: 'bench' };
const hash = () => randomBytes(32).toString('base64url');
const empty = snap();
const started = performance.now();

// ${REFRESHES} refreshes of one session, 15 s apart (past the 10 s grace window each time).
const sid = randomBytes(16).toString('base64url');
let current = hash();
await store.createSession({ id: sid, address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5', createdAt: now(), lastSeenAt: now(),
  expiresAt: now() + 2592000000, idleExpiresAt: now() + 604800000, userAgent: 'bench', ip: '203.0.113.7',
  fingerprintHash: hash(), revokedAt: null, revokedReason: null }, current);
let halfRefreshes, halfCycles;
const graceMs = auth.config.refreshGraceSeconds * 1000;
const retryMs = auth.config.refreshRetrySeconds * 1000;
for (let i = 0; i < ${REFRESHES}; i++) {
  clock.t += 15000;
  const next = hash();
  const r = await store.rotateRefresh({ presentedHash: current, newHash: next, now: now(), graceMs, retryMs,
    idleExpiresAt: now() + 604800000, graceBlob: randomBytes(2250).toString('base64url') });
  if (r.kind !== 'rotated') throw new Error('refresh ' + i + ': ' + r.kind);
  current = next;
  if (i + 1 === ${REFRESHES / 2}) halfRefreshes = snap();
}
const refreshSeconds = (performance.now() - started) / 1000;
const refreshes = snap();
const afterRefreshes = store.size();

// ${CYCLES} sign-in/sign-out cycles, each with a new key.
const cyclesStarted = performance.now();
for (let i = 0; i < ${CYCLES}; i++) {
  clock.t += 1000;
  let key;
  do key = randomBytes(32); while (!secp.privateKeyVerify(key));
  const address = publicKeyToAddress(secp.publicKeyCreate(key, true), evrmore);
  const { message } = await auth.issueChallenge(address, ctx);
  const { signature, recid } = secp.ecdsaSign(messageDigest(message, evrmore), key);
  const result = await auth.signIn(message, encodeSignature(signature, recid, true), ctx);
  if (!('session' in result)) throw new Error('sign-in ' + i + ' did not create a session');
  if (!(await auth.revokeSession(result.session.id, 'logout'))) throw new Error('sign-out ' + i);
  if (i + 1 === ${CYCLES / 2}) halfCycles = snap();
}
const cycleSeconds = (performance.now() - cyclesStarted) / 1000;
const cycles = snap();
console.log(JSON.stringify({ empty, halfRefreshes, refreshes, halfCycles, cycles, afterRefreshes,
  afterCycles: store.size(), refreshSeconds, cycleSeconds }));
process.exit(0);
`;

interface Snap {
  rss: number;
  heap: number;
}

interface StoreSize {
  challenges: number;
  sessions: number;
  refreshHashes: number;
  graceBlobs: number;
  once: number;
}

const mb = (bytes: number): number => Number((bytes / 1048576).toFixed(1));

export const memorySection: BenchSection = {
  id: 'memory',
  title:
    `Memory: store with ${N.toLocaleString('en-US')} challenges + ${N.toLocaleString('en-US')} sessions; ` +
    `server after ${REFRESHES.toLocaleString('en-US')} refreshes and ${CYCLES.toLocaleString('en-US')} sign-in/sign-out cycles`,
  async run() {
    const r = await runSnippet<{
      empty: Snap;
      challenges: Snap;
      both: Snap;
      size: { challenges: number; sessions: number };
    }>(CODE, ['--expose-gc']);
    if (r.size.challenges !== N || r.size.sessions !== N)
      throw new Error(`store holds ${JSON.stringify(r.size)}, expected ${N} of each`);
    const s = await runSnippet<{
      empty: Snap;
      halfRefreshes: Snap;
      refreshes: Snap;
      halfCycles: Snap;
      cycles: Snap;
      afterRefreshes: StoreSize;
      afterCycles: StoreSize;
      refreshSeconds: number;
      cycleSeconds: number;
    }>(SERVER_CODE, ['--expose-gc', '--max-semi-space-size=1']);
    // Bounded by live state: one live session, its current hash + 32 remembered ones, at most
    // one grace blob (the last rotation's, within its retry window).
    for (const size of [s.afterRefreshes, s.afterCycles])
      if (
        size.sessions !== 1 ||
        size.refreshHashes > 33 ||
        size.graceBlobs > 1 ||
        size.challenges > 0
      )
        throw new Error(`server store holds ${JSON.stringify(size)}: not bounded by live state`);
    const row = (state: string, snap: Snap, base: Snap, perEntry: number | null) => ({
      state,
      'RSS MB': mb(snap.rss),
      'heap MB': mb(snap.heap),
      'heap over empty MB': mb(snap.heap - base.heap),
      'bytes per entry (heap)': perEntry,
      'RSS / empty': Number((snap.rss / base.rss).toFixed(2)),
    });
    return {
      rows: [
        row('empty store (baseline)', r.empty, r.empty, null),
        row(
          `+ ${N} challenges`,
          r.challenges,
          r.empty,
          Math.round((r.challenges.heap - r.empty.heap) / N),
        ),
        row(`+ ${N} sessions`, r.both, r.empty, Math.round((r.both.heap - r.challenges.heap) / N)),
        row('empty server (baseline, second child)', s.empty, s.empty, null),
        row(
          `server after ${REFRESHES / 2} refreshes of one session`,
          s.halfRefreshes,
          s.empty,
          null,
        ),
        row(`server after ${REFRESHES} refreshes of one session`, s.refreshes, s.empty, null),
        row(`… then ${CYCLES / 2} sign-in/sign-out cycles`, s.halfCycles, s.empty, null),
        row(`… then ${CYCLES} sign-in/sign-out cycles`, s.cycles, s.empty, null),
      ],
      notes: [
        'Fresh `node --expose-gc` children; each figure after two forced GCs. Challenges carry their full ' +
          'sign-in message (~330 bytes); sessions include the refresh-token hash index.',
        `Server rows: createEvrmoreAuth on the memory store (rate limits off), driven in-process, no HTTP. ` +
          `Refreshes: ${REFRESHES.toLocaleString('en-US')} store.rotateRefresh calls 15 s apart (clock injected) with ` +
          `what a refresh stores (43-character hashes, a 3,000-character sealed token set), ` +
          `${s.refreshSeconds.toFixed(1)} s. Sign-in/sign-out: issueChallenge + signIn + revokeSession, a new ` +
          `key each time (signed with the native addon, verified by nativeBackend), ${s.cycleSeconds.toFixed(1)} s. ` +
          `The store then holds ${JSON.stringify(s.afterCycles)}. This child runs with ` +
          '`--max-semi-space-size=1`: under this allocation churn V8 grows its young generation ' +
          '(up to ~45 MB of RSS here, heap unchanged), which would hide what is kept.',
        `Flat: the second half of the refreshes added ${mb(s.refreshes.rss - s.halfRefreshes.rss)} MB RSS ` +
          `(${mb(s.refreshes.heap - s.halfRefreshes.heap)} MB heap), the second half of the cycles ` +
          `${mb(s.cycles.rss - s.halfCycles.rss)} MB RSS (${mb(s.cycles.heap - s.halfCycles.heap)} MB heap); ` +
          'the step up from the empty server is warm-up (JIT code, the native addon, crypto contexts, ' +
          'allocator high-water), not entries held.',
      ],
    };
  },
};
