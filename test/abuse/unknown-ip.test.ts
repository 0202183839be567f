// Attack family 1: when the server cannot tell clients apart (a fetch-handler snippet that does not
// pass the client IP), one client's bad signatures used to lock every user out. Production now
// refuses such requests loudly, and a server that passes the IP locks only the attacker.
import { expect, it } from 'vitest';
import {
  ATTACKER_IP,
  code,
  newWallet,
  onEveryStore,
  send,
  serversOn,
  signIn,
  VICTIM_IP,
} from './harness.js';

await onEveryStore('a server that cannot tell clients apart', (kind) => {
  const start = serversOn(kind);

  it('without the client IP, production refuses every auth request and logs the fix (once)', async () => {
    const { server } = await start({ mount: 'fetch-without-ip' });
    const victim = newWallet();
    for (const from of [ATTACKER_IP, VICTIM_IP, ATTACKER_IP]) {
      const r = await send(server, from, 'POST', '/auth/challenge', {
        body: { address: victim.address },
      });
      expect(r.status).toBe(500);
      expect(code(r)).toBe('internal_error');
      expect(JSON.stringify(r.body)).not.toMatch(/trustedProxies/); // the fix is for the operator
    }
    expect(server.errors).toHaveLength(1);
    expect(JSON.stringify(server.errors[0])).toMatch(/handler\(request, \{ ip \}\)/);
    expect(JSON.stringify(server.errors[0])).toMatch(/trustedProxies/);
  });

  it('with the client IP passed, throw-away keys lock only the attacker; the site stays open', async () => {
    const { server } = await start();
    // six bad signatures on throw-away keys (the old site-wide lock-out), then more
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await signIn(server, ATTACKER_IP, newWallet(), newWallet());
      statuses.push(r.verify?.status ?? r.challenge.status);
    }
    expect(statuses).toContain(429); // the attacker's network is locked out
    const victim = newWallet();
    const mine = await signIn(server, VICTIM_IP, victim);
    expect(mine.challenge.status).toBe(201);
    expect(mine.verify?.status).toBe(200);
  });
});
