// Memory: RSS and V8 heap with 100,000 outstanding challenges and 100,000 live sessions in the
// memory store, measured in a fresh child process (after forced GC) against its own empty state.
import { runSnippet } from './lib/child.js';
import type { BenchSection } from './section.js';

const N = 100_000;

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

interface Snap {
  rss: number;
  heap: number;
}

const mb = (bytes: number): number => Number((bytes / 1048576).toFixed(1));

export const memorySection: BenchSection = {
  id: 'memory',
  title: `Memory store: ${N.toLocaleString('en-US')} challenges + ${N.toLocaleString('en-US')} sessions`,
  async run() {
    const r = await runSnippet<{
      empty: Snap;
      challenges: Snap;
      both: Snap;
      size: { challenges: number; sessions: number };
    }>(CODE, ['--expose-gc']);
    if (r.size.challenges !== N || r.size.sessions !== N)
      throw new Error(`store holds ${JSON.stringify(r.size)}, expected ${N} of each`);
    const row = (state: string, s: Snap, perEntry: number | null) => ({
      state,
      'RSS MB': mb(s.rss),
      'heap MB': mb(s.heap),
      'heap over empty MB': mb(s.heap - r.empty.heap),
      'bytes per entry (heap)': perEntry,
    });
    return {
      rows: [
        row('empty store (baseline)', r.empty, null),
        row(`+ ${N} challenges`, r.challenges, Math.round((r.challenges.heap - r.empty.heap) / N)),
        row(`+ ${N} sessions`, r.both, Math.round((r.both.heap - r.challenges.heap) / N)),
      ],
      notes: [
        'Fresh `node --expose-gc` child; each figure after two forced GCs. Challenges carry their full ' +
          'sign-in message (~330 bytes); sessions include the refresh-token hash index.',
      ],
    };
  },
};
