// Attack family 5: filling the session store. Signing in (and out) with throw-away keys used to
// fill the memory store's `maxSessions` (revoked sessions kept their slot), after which every
// sign-in was 503. Now one network gets at most `newSessions.perIp` sessions an hour, and revoked
// sessions are freed at once.
import { afterAll, expect, it } from 'vitest';
import { describeWithServices } from '../helpers/services.js';
import {
  ATTACKER_IP,
  makeStore,
  needs,
  newWallet,
  signIn,
  signOut,
  startServer,
  STORES,
  VICTIM_IP,
} from './harness.js';

for (const kind of STORES) {
  await describeWithServices(needs(kind), `abuse: filling the session store (${kind})`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    it('one network gets 30 new sessions an hour; the victim still signs in', async () => {
      const made = await makeStore(kind, { maxSessions: 40 });
      const server = await startServer(made.store);
      cleanups.push(() => server.close(), made.cleanup);
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++) {
        const r = await signIn(server, ATTACKER_IP, newWallet());
        statuses.push(r.verify?.status ?? r.challenge.status);
      }
      expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
      expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
      expect((await signIn(server, VICTIM_IP, newWallet())).verify?.status).toBe(200);
    });

    it('signing in and out frees the slot at once: 100 cycles never fill a cap of 20', async () => {
      const made = await makeStore(kind, { maxSessions: 20 });
      const server = await startServer(made.store, {
        rateLimits: {
          newSessions: { perIp: { points: 1000, duration: 3600 } },
          challenge: { perIp: { points: 1000, duration: 60 } },
          verify: { perIp: { points: 1000, duration: 60 } },
        },
      });
      cleanups.push(() => server.close(), made.cleanup);
      for (let i = 0; i < 100; i++) {
        const { session, verify } = await signIn(server, ATTACKER_IP, newWallet());
        expect(verify?.status).toBe(200);
        expect((await signOut(server, ATTACKER_IP, session!)).status).toBe(204);
      }
      if (made.memory) expect(made.memory.size().sessions).toBe(0);
      expect((await signIn(server, VICTIM_IP, newWallet())).verify?.status).toBe(200);
    });
  });
}
