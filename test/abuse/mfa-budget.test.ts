// Attack family 6: the second factor's brute-force budget. A stranger without the wallet cannot
// spend the victim's MFA budget (guessed mfa tokens spend only the stranger's per-IP budget); a
// thief holding the victim's wallet key gets at most `mfaLockout.maxFailures` wrong codes a day,
// remembered past the hour that used to reset them.
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
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
  type Wallet,
} from './harness.js';

const MFA_KEY = { id: 'abuse', key: randomBytes(32).toString('hex') };

/** Enrol `wallet` in TOTP; returns a backup code (the TOTP code of this step is spent). */
async function enrol(server: AbuseServer, wallet: Wallet): Promise<string> {
  const { session } = await signIn(server, VICTIM_IP, wallet);
  const auth = {
    cookies: session!.cookies,
    headers: { authorization: `Bearer ${session!.accessToken}` },
  };
  const setup = await send(server, VICTIM_IP, 'POST', '/auth/mfa/totp/setup', {
    ...auth,
    body: {},
  });
  expect(setup.status).toBe(200);
  const totp = new TOTP({ secret: Secret.fromBase32(setup.body.secret as string) });
  const enable = await send(server, VICTIM_IP, 'POST', '/auth/mfa/totp/enable', {
    ...auth,
    body: { code: totp.generate() },
  });
  expect(enable.status).toBe(200);
  return (enable.body.backupCodes as string[])[0]!;
}

/** The first step of a sign-in for an enrolled address: its mfa token. */
async function mfaToken(server: AbuseServer, from: string, wallet: Wallet): Promise<string> {
  const r = await signIn(server, from, wallet);
  expect(r.verify?.body.mfaRequired).toBe(true);
  return r.verify!.body.mfaToken as string;
}

await onEveryStore("the second factor's budget", (kind) => {
  const start = serversOn(kind);
  let server: AbuseServer;
  beforeAll(async () => {
    ({ server } = await start({
      config: {
        mfa: { encryptionKeys: [MFA_KEY] },
        rateLimits: {
          // the budget under test is the failure cap, not the per-address request budget
          mfa: { perAddress: { points: 100, duration: 300 } },
          mfaLockout: { freeFailures: 9, maxFailures: 10 },
        },
      },
    }));
  });

  it('guessed mfa tokens spend only the stranger’s budget; the victim completes the second step', async () => {
    const victim = newWallet();
    const backupCode = await enrol(server, victim);
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++)
      statuses.push(
        (
          await send(server, ATTACKER_IP, 'POST', '/auth/mfa/verify', {
            body: { mfaToken: `guess${i}`.padEnd(43, 'A'), code: '000000' },
          })
        ).status,
      );
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
    const token = await mfaToken(server, VICTIM_IP, victim);
    const done = await send(server, VICTIM_IP, 'POST', '/auth/mfa/verify', {
      body: { mfaToken: token, code: backupCode },
    });
    expect(done.status).toBe(200);
    expect(done.body.accessToken).toBeTruthy();
  });

  it('a thief with the wallet key gets at most maxFailures wrong codes, then a day-long 429', async () => {
    const victim = newWallet();
    await enrol(server, victim);
    const thief = '127.0.0.3';
    let wrong = 0;
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    while (wrong < 20 && limited === undefined) {
      const token = await mfaToken(server, thief, victim);
      for (let i = 0; i < 3; i++) {
        const r = await send(server, thief, 'POST', '/auth/mfa/verify', {
          body: { mfaToken: token, code: String(100000 + wrong) },
        });
        if (r.status === 429) {
          limited = r;
          break;
        }
        expect(code(r)).toBe('mfa_invalid');
        wrong++;
      }
    }
    expect(wrong).toBe(10);
    expect(limited?.status).toBe(429);
    // moving to another network does not help: the address's second step is capped for a day
    const elsewhere = await send(server, '127.0.0.4', 'POST', '/auth/mfa/verify', {
      body: { mfaToken: await mfaToken(server, '127.0.0.4', victim), code: '123456' },
    });
    expect(elsewhere.status).toBe(429);
    expect(Number(elsewhere.headers['retry-after'])).toBeGreaterThan(23 * 3600);
  });
});
