// Second factor end to end through the fetch handler, with a frozen clock and the memory store.
import { Secret } from 'otpauth';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EvrmoreAuthConfig } from '../config.js';
import { generateTotpCode } from '../mfa/totp.js';
import {
  cookieValue,
  createHarness,
  ORIGIN,
  problem,
  wallet,
  type Harness,
  type SignedIn,
  type Wallet,
} from '../../test/harness.js';

const key = (seed: number): string =>
  btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 37 + seed * 11) & 255)));
const K1 = { id: 'k1', key: key(1) };
const K2 = { id: 'k2', key: key(2) };
const STEP = 30_000;

interface Enrolled {
  w: Wallet;
  secret: Uint8Array;
  secretBase32: string;
  uri: string;
  backupCodes: string[];
  session: SignedIn;
}

async function enrol(h: Harness, w: Wallet = wallet()): Promise<Enrolled> {
  const session = await h.signIn(w);
  const setup = await h.request('POST', '/auth/mfa/totp/setup', {
    headers: session.authHeaders,
    body: {},
  });
  expect(setup.status).toBe(200);
  const { secret: secretBase32, uri } = (await setup.json()) as { secret: string; uri: string };
  const secret = Secret.fromBase32(secretBase32).bytes;
  const enable = await h.request('POST', '/auth/mfa/totp/enable', {
    headers: session.authHeaders,
    body: { code: generateTotpCode(secret, h.clock.t) },
  });
  expect(enable.status).toBe(200);
  const { backupCodes } = (await enable.json()) as { backupCodes: string[] };
  return { w, secret, secretBase32, uri, backupCodes, session };
}

/** Sign the challenge; expect the mfa-required answer. */
async function firstStep(h: Harness, w: Wallet, headers: Record<string, string> = {}) {
  const { message } = await h.challenge(w);
  const res = await h.request('POST', '/auth/verify', {
    body: { message, signature: w.sign(message) },
    headers,
  });
  return res;
}

async function mfaToken(h: Harness, w: Wallet, headers: Record<string, string> = {}) {
  const res = await firstStep(h, w, headers);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { mfaRequired: boolean; mfaToken: string; methods: string[] };
  expect(body.mfaRequired).toBe(true);
  return body.mfaToken;
}

const verify = (h: Harness, token: string, code: string, headers: Record<string, string> = {}) =>
  h.request('POST', '/auth/mfa/verify', { body: { mfaToken: token, code }, headers });

describe('MFA: enrolment', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ mfa: { encryptionKeys: [K1], issuer: 'Example' } });
  });

  it('setup returns a base32 secret and an otpauth URI naming the issuer and the address', async () => {
    const e = await enrol(h);
    expect(e.secretBase32).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(e.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Example:${e.w.address}`);
    expect(uri.searchParams.get('issuer')).toBe('Example');
    expect(uri.searchParams.get('secret')).toBe(e.secretBase32);
    expect(e.backupCodes).toHaveLength(10);
    expect(new Set(e.backupCodes).size).toBe(10);
    expect(h.events.map((x) => x.type)).toContain('mfa.enrolled');
    const record = await h.store.getMfa(e.w.address);
    expect(record).toMatchObject({ enabled: true, pendingSecretEnc: null });
    expect(record?.backupCodeHashes).toHaveLength(10);
  });

  it('enable refuses a wrong code and keeps the secret pending', async () => {
    const s = await h.signIn();
    const setup = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: s.authHeaders,
      body: {},
    });
    const { secret } = (await setup.json()) as { secret: string };
    const bytes = Secret.fromBase32(secret).bytes;
    const wrong = await h.request('POST', '/auth/mfa/totp/enable', {
      headers: s.authHeaders,
      body: { code: generateTotpCode(bytes, h.clock.t - 2 * STEP) },
    });
    expect((await problem(wrong)).code).toBe('mfa_invalid');
    expect((await h.store.getMfa(wallet().address))?.enabled).toBe(false);
    // Without MFA enabled the wallet alone still signs in.
    expect((await h.signIn()).tokens.accessToken).toBeTruthy();
  });

  it('one code confirms one enrolment: concurrent enables get one set of backup codes', async () => {
    const s = await h.signIn();
    const setup = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: s.authHeaders,
      body: {},
    });
    const { secret } = (await setup.json()) as { secret: string };
    const code = generateTotpCode(Secret.fromBase32(secret).bytes, h.clock.t);
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        h.request('POST', '/auth/mfa/totp/enable', { headers: s.authHeaders, body: { code } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    const ok = results.find((r) => r.status === 200)!;
    const { backupCodes } = (await ok.json()) as { backupCodes: string[] };
    const stored = (await h.store.getMfa(wallet().address))!.backupCodeHashes;
    const { hashBackupCode } = await import('../mfa/backup-codes.js');
    expect(
      (await Promise.all(backupCodes.map((c) => hashBackupCode(wallet().address, c)))).sort(),
    ).toEqual([...stored].sort());
  });

  it('setup takes an empty body (or none) and refuses unknown fields', async () => {
    const s = await h.signIn();
    const extra = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: s.authHeaders,
      body: { secret: 'JBSWY3DPEHPK3PXP' },
    });
    expect((await problem(extra)).code).toBe('invalid_request');
    const none = await h.request('POST', '/auth/mfa/totp/setup', { headers: s.authHeaders });
    expect(none.status).toBe(200);
  });

  it('the MFA routes need a bearer token', async () => {
    for (const path of [
      '/auth/mfa/totp/setup',
      '/auth/mfa/totp/enable',
      '/auth/mfa/totp/disable',
    ]) {
      const res = await h.request('POST', path, { body: { code: '123456' } });
      expect(res.status).toBe(401);
      expect((await problem(res)).code).toBe('token_missing');
    }
  });

  it('setup is refused while TOTP is enabled (a stolen access token cannot swap the factor)', async () => {
    const e = await enrol(h);
    const res = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: e.session.authHeaders,
      body: {},
    });
    expect((await problem(res)).code).toBe('invalid_request');
  });
});

describe('MFA: sign-in', () => {
  let h: Harness;
  let e: Enrolled;
  beforeEach(async () => {
    h = await createHarness({ mfa: { encryptionKeys: [K1], backupCodesLowThreshold: 9 } });
    e = await enrol(h);
    h.tick(STEP); // the enrolment code's step is used up
  });

  it('answers mfaRequired without a session or cookies, then signs in with a TOTP code', async () => {
    const res = await firstStep(h, e.w);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['methods', 'mfaRequired', 'mfaToken']);
    expect(body.methods).toEqual(['totp', 'backup_code']);
    expect(await h.store.listSessions(e.w.address, h.clock.t)).toHaveLength(1); // the enrolment one

    const ok = await verify(h, body.mfaToken as string, generateTotpCode(e.secret, h.clock.t));
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as { accessToken: string; session: { address: string } };
    expect(tokens.session.address).toBe(e.w.address);
    const fgp = cookieValue(ok, h.auth.config.cookies.fingerprintName);
    expect(fgp).toBeTruthy();
    expect(cookieValue(ok, h.auth.config.cookies.refreshName)).toBeTruthy();
    const me = await h.request('GET', '/auth/session', {
      headers: {
        authorization: `Bearer ${tokens.accessToken}`,
        cookie: `${h.auth.config.cookies.fingerprintName}=${fgp}`,
      },
    });
    expect(me.status).toBe(200);
    expect(h.events.map((x) => x.type)).toContain('mfa.succeeded');
  });

  it('a TOTP code is accepted once: a replay with a fresh mfa token is refused', async () => {
    const code = generateTotpCode(e.secret, h.clock.t);
    expect((await verify(h, await mfaToken(h, e.w), code)).status).toBe(200);
    const again = await verify(h, await mfaToken(h, e.w), code);
    expect((await problem(again)).code).toBe('mfa_invalid');
  });

  it('accepts the previous and next step, refuses a code from two steps ago', async () => {
    h.tick(2 * STEP); // keep the enrolment step out of the window
    const t = h.clock.t;
    const old = await verify(h, await mfaToken(h, e.w), generateTotpCode(e.secret, t - 2 * STEP));
    expect((await problem(old)).code).toBe('mfa_invalid');
    const future = await verify(
      h,
      await mfaToken(h, e.w),
      generateTotpCode(e.secret, t + 2 * STEP),
    );
    expect((await problem(future)).code).toBe('mfa_invalid');
    expect(
      (await verify(h, await mfaToken(h, e.w), generateTotpCode(e.secret, t - STEP))).status,
    ).toBe(200);
    h.tick(3 * STEP);
    expect(
      (await verify(h, await mfaToken(h, e.w), generateTotpCode(e.secret, h.clock.t + STEP)))
        .status,
    ).toBe(200);
  });

  it('a backup code works once (any case, with or without dashes) and its use is audited', async () => {
    const code = e.backupCodes[0]!;
    const typed = code.toUpperCase().replace(/-/g, ' ');
    expect((await verify(h, await mfaToken(h, e.w), typed)).status).toBe(200);
    const again = await verify(h, await mfaToken(h, e.w), code);
    expect((await problem(again)).code).toBe('mfa_invalid');
    expect((await h.store.getMfa(e.w.address))?.backupCodeHashes).toHaveLength(9);
    const used = h.events.find((x) => x.type === 'mfa.backup_code_used');
    expect(used?.detail).toMatchObject({ remaining: 9 });
    expect(h.events.find((x) => x.type === 'mfa.backup_codes_low')?.detail).toEqual({
      remaining: 9,
    });
    // another unused code still works
    expect((await verify(h, await mfaToken(h, e.w), e.backupCodes[1]!)).status).toBe(200);
  });

  it('an mfa token is single-use and short-lived', async () => {
    const token = await mfaToken(h, e.w);
    expect((await verify(h, token, generateTotpCode(e.secret, h.clock.t))).status).toBe(200);
    h.tick(STEP);
    const twice = await verify(h, token, generateTotpCode(e.secret, h.clock.t));
    expect((await problem(twice)).code).toBe('token_invalid');

    const late = await mfaToken(h, e.w);
    h.tick(5 * 60_000);
    const expired = await verify(h, late, generateTotpCode(e.secret, h.clock.t));
    expect((await problem(expired)).code).toBe('token_invalid');
  });

  it('a wrong code keeps the mfa token for a bounded number of attempts, then burns it', async () => {
    const token = await mfaToken(h, e.w);
    for (let i = 0; i < 5; i++) {
      const res = await verify(h, token, '000000');
      expect(res.status).toBe(401);
      expect((await problem(res)).code).toBe('mfa_invalid');
    }
    const burned = await verify(h, token, generateTotpCode(e.secret, h.clock.t));
    expect((await problem(burned)).code).toBe('token_invalid');
    expect(h.events.filter((x) => x.type === 'mfa.failed').length).toBeGreaterThanOrEqual(5);

    const fresh = await mfaToken(h, e.w);
    expect((await verify(h, fresh, '999999')).status).toBe(401);
    expect((await verify(h, fresh, generateTotpCode(e.secret, h.clock.t))).status).toBe(200);
  });

  it('an mfa token is not an access token', async () => {
    const token = await mfaToken(h, e.w);
    const res = await h.request('GET', '/auth/session', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('token_invalid');
    await expect(
      h.auth.authenticate(
        new Request('https://app.example.com/api', {
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    ).rejects.toMatchObject({ code: 'token_invalid' });
    // and it still works where it belongs: using it as a bearer did not spend it
    expect((await verify(h, token, generateTotpCode(e.secret, h.clock.t))).status).toBe(200);
  });

  it('an mfa token presented from another user agent is refused and burned', async () => {
    const token = await mfaToken(h, e.w, { 'user-agent': 'Browser A' });
    const other = await verify(h, token, generateTotpCode(e.secret, h.clock.t), {
      'user-agent': 'Browser B',
    });
    expect((await problem(other)).code).toBe('token_invalid');
    const same = await verify(h, token, generateTotpCode(e.secret, h.clock.t), {
      'user-agent': 'Browser A',
    });
    expect((await problem(same)).code).toBe('token_invalid');
  });

  it('bad bodies are 400s', async () => {
    for (const body of [
      {},
      { mfaToken: 'x' },
      { mfaToken: 'x', code: 1 },
      { mfaToken: 'x', code: '1', extra: 1 },
    ]) {
      const res = await h.request('POST', '/auth/mfa/verify', { body });
      expect(res.status).toBe(400);
      expect((await problem(res)).code).toBe('invalid_request');
    }
  });

  it('disable requires a valid code; afterwards the wallet alone signs in', async () => {
    const s = await verify(h, await mfaToken(h, e.w), generateTotpCode(e.secret, h.clock.t));
    const tokens = (await s.json()) as { accessToken: string };
    const headers = {
      authorization: `Bearer ${tokens.accessToken}`,
      cookie: `${h.auth.config.cookies.fingerprintName}=${cookieValue(s, h.auth.config.cookies.fingerprintName)}`,
    };
    h.tick(STEP);
    const noCode = await h.request('POST', '/auth/mfa/totp/disable', { headers, body: {} });
    expect((await problem(noCode)).code).toBe('invalid_request');
    const wrong = await h.request('POST', '/auth/mfa/totp/disable', {
      headers,
      body: { code: '000000' },
    });
    expect((await problem(wrong)).code).toBe('mfa_invalid');
    expect((await h.store.getMfa(e.w.address))?.enabled).toBe(true);
    const ok = await h.request('POST', '/auth/mfa/totp/disable', {
      headers,
      body: { code: e.backupCodes[3]! },
    });
    expect(ok.status).toBe(204);
    expect(await h.store.getMfa(e.w.address)).toBeNull();
    expect(h.events.map((x) => x.type)).toContain('mfa.disabled');
    expect((await h.signIn(e.w)).tokens.accessToken).toBeTruthy();
  });
});

describe('MFA: rate limits and lock-out', () => {
  it('wrong codes lock the address out, even for the right code', async () => {
    const h = await createHarness({
      mfa: { encryptionKeys: [K1], maxAttemptsPerToken: 10 },
      rateLimits: {
        challenge: {
          perIp: { points: 1000, duration: 60 },
          perIpAddress: { points: 1000, duration: 60 },
        },
        verify: {
          perIp: { points: 1000, duration: 60 },
          perIpAddress: { points: 1000, duration: 60 },
        },
        mfa: { perAddress: { points: 1000, duration: 300 } },
        mfaLockout: { freeFailures: 3, baseSeconds: 60, maxSeconds: 900 },
      },
    });
    const e = await enrol(h);
    h.tick(STEP);
    const token = await mfaToken(h, e.w);
    for (let i = 0; i < 4; i++) expect((await verify(h, token, '000000')).status).toBe(401);
    const locked = await verify(h, token, generateTotpCode(e.secret, h.clock.t));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.events.some((x) => x.type === 'rate_limited' && x.detail?.route === 'mfa')).toBe(true);
  });

  it('the per-address MFA limit applies', async () => {
    const h = await createHarness({
      mfa: { encryptionKeys: [K1], maxAttemptsPerToken: 10 },
      rateLimits: {
        challenge: {
          perIp: { points: 1000, duration: 60 },
          perIpAddress: { points: 1000, duration: 60 },
        },
        verify: {
          perIp: { points: 1000, duration: 60 },
          perIpAddress: { points: 1000, duration: 60 },
        },
        mfa: { perAddress: { points: 3, duration: 300 } },
        mfaLockout: { freeFailures: 100, maxFailures: 101 },
      },
    });
    const e = await enrol(h); // spends one point
    h.tick(STEP);
    const token = await mfaToken(h, e.w);
    expect((await verify(h, token, '000000')).status).toBe(401);
    expect((await verify(h, token, '000000')).status).toBe(401);
    expect((await verify(h, token, generateTotpCode(e.secret, h.clock.t))).status).toBe(429);
  });
});

describe('MFA: brute force over days, and bursts', () => {
  it('wrong codes are remembered past an hour and capped per day; a burst raises the anomaly event', async () => {
    const h = await createHarness({
      mfa: { encryptionKeys: [K1], maxAttemptsPerToken: 10 },
      rateLimits: {
        mfa: {
          perIp: { points: 1000, duration: 300 },
          perAddress: { points: 1000, duration: 300 },
        },
        mfaLockout: { freeFailures: 11, maxFailures: 12 },
      },
      anomaly: { threshold: 5 },
    });
    const e = await enrol(h);
    h.tick(STEP);
    const token = await mfaToken(h, e.w);
    for (let i = 0; i < 6; i++) expect((await verify(h, token, '000000')).status).toBe(401);
    h.tick(2 * 3600_000); // a fixed one-hour window would have forgotten them by now
    const t2 = await mfaToken(h, e.w);
    for (let i = 0; i < 5; i++) expect((await verify(h, t2, '000000')).status).toBe(401);
    // the 12th wrong code in the day reaches the cap: even the right code waits for the window
    expect((await verify(h, t2, '000000')).status).toBe(401);
    // from another network too (the per-IP lock of the guessing network is not what stops it)
    const capped = await h.auth.handler(
      new Request(`${ORIGIN}/auth/mfa/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mfaToken: t2, code: generateTotpCode(e.secret, h.clock.t) }),
      }),
      { ip: '198.51.100.9' },
    );
    expect(capped.status).toBe(429);
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(20 * 3600);
    const bursts = h.events.filter((x) => x.type === 'anomaly.failed_signins');
    expect(bursts.map((x) => x.detail?.stage)).toContain('mfa');
  });
});

describe('MFA: the default issuer', () => {
  it('is valid for every valid domain: a port, an IPv6 literal', async () => {
    for (const [domain, issuer] of [
      ['localhost:3000', 'localhost'],
      ['[::1]:8443', '--1'],
      ['auth.example.com', 'auth.example.com'],
    ] as const) {
      const h = await createHarness({
        domain,
        uri: `https://${domain}`,
        mfa: { encryptionKeys: [K1] },
      });
      expect(h.auth.config.domain).toBe(domain);
      const signedIn = await h.signIn();
      const setup = await h.request('POST', '/auth/mfa/totp/setup', {
        headers: signedIn.authHeaders,
        body: {},
      });
      expect(setup.status).toBe(200);
      const { uri } = (await setup.json()) as { uri: string };
      expect(new URL(uri).searchParams.get('issuer')).toBe(issuer);
    }
  });
});

describe('MFA: secrets at rest and key rotation', () => {
  it('the store holds no readable secret or backup code', async () => {
    const h = await createHarness({ mfa: { encryptionKeys: [K1] } });
    const e = await enrol(h);
    const raw = JSON.stringify(await h.store.getMfa(e.w.address));
    expect(raw).not.toContain(e.secretBase32);
    expect(raw.toLowerCase()).not.toContain(e.secretBase32.toLowerCase());
    expect(raw).not.toContain(
      Array.from(e.secret, (b) => b.toString(16).padStart(2, '0')).join(''),
    );
    expect(raw).not.toContain(btoa(String.fromCharCode(...e.secret)).replace(/=+$/, ''));
    for (const code of e.backupCodes) {
      expect(raw).not.toContain(code);
      expect(raw).not.toContain(code.replace(/-/g, ''));
    }
    expect((await h.store.getMfa(e.w.address))?.totpSecretEnc).toMatch(/^v1\.k1\./);

    // A server with another key cannot use it: it fails closed.
    const other = await createHarness({ store: h.store, mfa: { encryptionKeys: [K2] } });
    other.clock.t = h.clock.t + STEP;
    h.clock.t += STEP;
    const token = await mfaToken(other, e.w);
    const res = await verify(other, token, generateTotpCode(e.secret, other.clock.t));
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('unavailable');
  });

  it('rotation: the old key still decrypts, the next use re-seals with the new key', async () => {
    const h1 = await createHarness({ mfa: { encryptionKeys: [K1] } });
    const e = await enrol(h1);
    const h2 = await createHarness({ store: h1.store, mfa: { encryptionKeys: [K2, K1] } });
    h1.clock.t += STEP;
    h2.clock.t = h1.clock.t;
    const ok = await verify(h2, await mfaToken(h2, e.w), generateTotpCode(e.secret, h2.clock.t));
    expect(ok.status).toBe(200);
    expect((await h1.store.getMfa(e.w.address))?.totpSecretEnc).toMatch(/^v1\.k2\./);
    expect((await h1.store.getMfa(e.w.address))?.lastTotpStep).toBe(Math.floor(h2.clock.t / STEP));
    // Now the old key can go.
    const h3 = await createHarness({ store: h1.store, mfa: { encryptionKeys: [K2] } });
    h1.clock.t += STEP;
    h3.clock.t = h1.clock.t;
    expect(
      (await verify(h3, await mfaToken(h3, e.w), generateTotpCode(e.secret, h3.clock.t))).status,
    ).toBe(200);
  });

  it('reencryptMfaSecrets re-seals at once', async () => {
    const h1 = await createHarness({ mfa: { encryptionKeys: [K1] } });
    const e = await enrol(h1);
    const h2 = await createHarness({ store: h1.store, mfa: { encryptionKeys: [K2, K1] } });
    expect(await h2.auth.reencryptMfaSecrets(e.w.address)).toBe(true);
    expect(await h2.auth.reencryptMfaSecrets(e.w.address)).toBe(false);
    const record = await h1.store.getMfa(e.w.address);
    expect(record?.totpSecretEnc).toMatch(/^v1\.k2\./);
    expect(record?.backupCodeHashes).toHaveLength(10);
  });
});

describe('MFA: configuration', () => {
  it.each([
    [{}, 'createEvrmoreAuth: mfa.encryptionKeys is required'],
    [{ encryptionKeys: [] }, 'createEvrmoreAuth: mfa.encryptionKeys must be a non-empty array'],
    [
      { encryptionKeys: [{ id: 'k1', key: 'c2hvcnQ=' }] },
      'mfa.encryptionKeys[0].key must be 32 bytes',
    ],
    [
      { encryptionKeys: [{ id: 'k1', key: '00'.repeat(32) }] },
      'mfa.encryptionKeys[0].key looks weak',
    ],
    [{ encryptionKeys: [K1, { ...K2, id: 'k1' }] }, 'mfa.encryptionKeys[1].id "k1" is used twice'],
    [{ encryptionKeys: [{ id: 'a b', key: K1.key }] }, 'mfa.encryptionKeys[0].id must be'],
    [
      { encryptionKeys: [K1], window: 5 },
      'createEvrmoreAuth: mfa.window must be an integer from 0 to 2',
    ],
    [{ encryptionKeys: [K1], nope: 1 }, 'createEvrmoreAuth: mfa.nope is not a known option'],
  ])('refuses to start with %j', async (mfa, message) => {
    await expect(createHarness({ mfa: mfa as EvrmoreAuthConfig['mfa'] })).rejects.toThrow(message);
  });

  it('accepts hex and Uint8Array keys', async () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 255);
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    await expect(
      createHarness({ mfa: { encryptionKeys: [{ id: 'h', key: hex }] } }),
    ).resolves.toBeTruthy();
    await expect(
      createHarness({ mfa: { encryptionKeys: [{ id: 'u', key: bytes }] } }),
    ).resolves.toBeTruthy();
  });

  it('without mfa configuration the routes are 404 and an enrolled address fails closed', async () => {
    const h1 = await createHarness({ mfa: { encryptionKeys: [K1] } });
    const e = await enrol(h1);
    const h2 = await createHarness({ store: h1.store });
    h2.clock.t = h1.clock.t;
    const res = await h2.request('POST', '/auth/mfa/verify', {
      body: { mfaToken: 'x', code: '1' },
    });
    expect((await problem(res)).code).toBe('not_found');
    const verifyRes = await firstStep(h2, e.w);
    expect(verifyRes.status).toBe(503);
  });
});
