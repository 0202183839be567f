// Attack family 5: filling the session store. Signing in (and out) with throw-away keys used to
// fill the memory store's `maxSessions` (revoked sessions kept their slot), after which every
// sign-in was 503. Now one network gets at most `newSessions.perIp` sessions an hour, and revoked
// sessions are freed at once.
import { expect, it } from 'vitest';
import {
  ATTACKER_IP,
  newWallet,
  onEveryStore,
  serversOn,
  signIn,
  signOut,
  VICTIM_IP,
} from './harness.js';

await onEveryStore('filling the session store', (kind) => {
  const start = serversOn(kind);

  it('one network gets 30 new sessions an hour; the victim still signs in', async () => {
    const { server } = await start({ memory: { maxSessions: 40 } });
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
    const { server, made } = await start({
      memory: { maxSessions: 20 },
      config: {
        rateLimits: {
          newSessions: { perIp: { points: 1000, duration: 3600 } },
          challenge: { perIp: { points: 1000, duration: 60 } },
          verify: { perIp: { points: 1000, duration: 60 } },
        },
      },
    });
    for (let i = 0; i < 100; i++) {
      const { session, verify } = await signIn(server, ATTACKER_IP, newWallet());
      expect(verify?.status).toBe(200);
      expect((await signOut(server, ATTACKER_IP, session!)).status).toBe(204);
    }
    if (made.memory) expect(made.memory.size().sessions).toBe(0);
    expect((await signIn(server, VICTIM_IP, newWallet())).verify?.status).toBe(200);
  });
});
