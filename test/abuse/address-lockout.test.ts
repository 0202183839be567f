// Attack family 2: a stranger tries to lock a chosen address out of sign-in, without its key:
// challenges for the victim's address, bad signatures against them, messages naming the victim.
// Attacker on 127.0.0.2, victim on 127.0.0.1; the victim signs in, the attacker gets 429.
import { beforeAll, expect, it } from 'vitest';
import {
  ATTACKER_IP,
  code,
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  VICTIM_IP,
  type AbuseServer,
} from './harness.js';

await onEveryStore("locking a victim's address out", (kind) => {
  const start = serversOn(kind);
  let server: AbuseServer;
  beforeAll(async () => {
    ({ server } = await start()); // default rate limits
  });

  it('bad signatures against the victim’s challenges lock only the attacker; the victim signs in', async () => {
    const victim = newWallet();
    const attackerKey = newWallet();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await signIn(server, ATTACKER_IP, victim, attackerKey);
      statuses.push(r.verify?.status ?? r.challenge.status);
    }
    // five free failures, then the attacker's IP + address is locked
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const mine = await signIn(server, VICTIM_IP, victim);
    expect(mine.verify?.status).toBe(200);
    expect(mine.session?.sessionId).toBeTruthy();
  });

  it('flooding challenges for the victim’s address spends only the attacker’s budget', async () => {
    const victim = newWallet();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push(
        (
          await send(server, ATTACKER_IP, 'POST', '/auth/challenge', {
            body: { address: victim.address },
          })
        ).status,
      );
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429]);
    expect((await signIn(server, VICTIM_IP, victim)).verify?.status).toBe(200);
  });

  it('parseable messages naming the victim (unknown nonces) do not spend the victim’s budget', async () => {
    const victim = newWallet();
    const real = await send(server, VICTIM_IP, 'POST', '/auth/challenge', {
      body: { address: victim.address },
    });
    const template = real.body.message as string;
    const forged = (i: number) => template.replace(/Nonce: \w+/, `Nonce: forged${i}abcdefgh`);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push(
        (
          await send(server, ATTACKER_IP, 'POST', '/auth/verify', {
            body: { message: forged(i), signature: victim.sign(forged(i)) },
          })
        ).status,
      );
    // 401 challenge_unknown until the attacker's own per-IP budget (30/min, shared with the
    // attempts above) is spent, then 429; never a lock on the victim's address
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThan(0);
    expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    // the victim's own challenge (issued before the flood) still signs in
    const ok = await send(server, VICTIM_IP, 'POST', '/auth/verify', {
      body: { message: template, signature: victim.sign(template) },
    });
    expect(ok.status).toBe(200);
    expect(
      code(
        await send(server, ATTACKER_IP, 'POST', '/auth/verify', {
          body: { message: 'x', signature: 'y' },
        }),
      ),
    ).toBe('rate_limited');
  });
});
