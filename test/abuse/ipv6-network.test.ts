// Attack family 3: an IPv6 client owns a whole /64, so keying limits by the full address gave it
// 2^64 buckets. Limits are keyed by the /64. The attacker's requests arrive through a trusted
// proxy on 127.0.0.2 that forwards rotating addresses of one /64; the victim connects from
// 127.0.0.1 (and through the same proxy from another /64).
import { beforeAll, expect, it } from 'vitest';
import {
  ATTACKER_IP,
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  VICTIM_IP,
  type AbuseServer,
} from './harness.js';

await onEveryStore('rotating through an IPv6 /64', (kind) => {
  const start = serversOn(kind);
  let server: AbuseServer;
  beforeAll(async () => {
    ({ server } = await start({ config: { trustedProxies: [`${ATTACKER_IP}/32`] } }));
  });

  it('every address of one /64 shares one budget and one lock-out', async () => {
    const victim = newWallet();
    const statuses: number[] = [];
    for (let i = 1; i <= 35; i++) {
      const r = await send(server, ATTACKER_IP, 'POST', '/auth/challenge', {
        body: { address: newWallet().address },
        headers: { 'x-forwarded-for': `2001:db8:bad:1:${i.toString(16)}::${i.toString(16)}` },
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
    // garbage from rotating addresses spends the /64's one verify budget, not the victim's
    const bad: number[] = [];
    for (let i = 0; i < 35; i++) {
      const r = await send(server, ATTACKER_IP, 'POST', '/auth/verify', {
        body: { message: 'not a message', signature: 'x' },
        headers: { 'x-forwarded-for': `2001:db8:bad:1::${(1000 + i).toString(16)}` },
      });
      bad.push(r.status);
    }
    expect(bad.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(bad.slice(30)).toEqual([429, 429, 429, 429, 429]);
    expect((await signIn(server, VICTIM_IP, victim)).verify?.status).toBe(200);
    // a client in another /64 behind the same proxy is another client
    const other = await send(server, ATTACKER_IP, 'POST', '/auth/challenge', {
      body: { address: victim.address },
      headers: { 'x-forwarded-for': '2001:db8:900d:1::1' },
    });
    expect(other.status).toBe(201);
  });
});
