// DPoP (RFC 9449, PROTOCOL.md §9) over the fetch handler: each refusal with its code, proofs from
// an independent implementation (panva's `dpop`) accepted, and the binding of a sign-in's key
// through refresh.
import type { TokenResponse } from '@evrmore-auth/core';
import * as DPoP from 'dpop';
import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWK,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { createHarness, cookieValue, problem, wallet, type Harness } from '../../test/harness.js';
import { createMemoryStore } from '../stores/memory.js';
import type { DPoPConfig } from '../dpop/config.js';
import { Secret } from 'otpauth';
import { createEvrmoreAuth } from '../create-auth.js';
import { generateTotpCode } from '../mfa/totp.js';

const BASE = 'https://app.example.com/auth';
const ALGS = 'algs="ES256 EdDSA"';

/** A harness with DPoP on, its clock at the real time (the `dpop` package stamps `iat` with it). */
async function dpopHarness(dpop: DPoPConfig = { mode: 'allowed' }): Promise<Harness> {
  const h = await createHarness({ dpop });
  h.clock.t = Date.now();
  return h;
}

/** A proof signed with jose, every claim and header under the test's control. */
async function craft(
  key: { privateKey: CryptoKey; publicKey: CryptoKey },
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  now = Date.now(),
): Promise<string> {
  const jwk = await exportJWK(key.publicKey);
  return new SignJWT({ jti: crypto.randomUUID(), iat: Math.floor(now / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
    .sign(key.privateKey);
}

/** A complete sign-in whose /verify carries `proof(url)` (or none). */
async function signIn(
  h: Harness,
  proof: ((htu: string) => Promise<string>) | null,
): Promise<{ res: Response; tokens: TokenResponse; cookie: string; refresh: string }> {
  const w = wallet();
  const { message } = await h.challenge(w);
  const res = await h.request('POST', '/auth/verify', {
    body: { message, signature: w.sign(message) },
    headers: proof ? { dpop: await proof(`${BASE}/verify`) } : {},
  });
  const tokens = (await res.clone().json()) as TokenResponse;
  const fgp = h.auth.config.cookies.fingerprintName;
  return {
    res,
    tokens,
    cookie: `${fgp}=${cookieValue(res, fgp)}`,
    refresh: `${h.auth.config.cookies.refreshName}=${cookieValue(res, h.auth.config.cookies.refreshName)}`,
  };
}

describe('DPoP at the token endpoints', () => {
  it('a proof made by the dpop package binds the sign-in: tokenType DPoP, cnf.jkt of its key', async () => {
    const h = await dpopHarness();
    const key = await DPoP.generateKeyPair('ES256');
    const { res, tokens } = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST'));
    expect(res.status).toBe(200);
    expect(tokens.tokenType).toBe('DPoP');
    const claims = decodeJwt(tokens.accessToken) as { cnf?: { jkt: string } };
    expect(claims.cnf).toEqual({ jkt: await DPoP.calculateThumbprint(key.publicKey) });
    const session = await h.store.getSession(tokens.session.id);
    expect(session?.dpopJkt).toBe(claims.cnf!.jkt);
  });

  it('without a proof (mode allowed) the token is a bearer token; with mode required it is dpop_required', async () => {
    const allowed = await dpopHarness();
    const plain = await signIn(allowed, null);
    expect(plain.tokens.tokenType).toBe('Bearer');
    expect(decodeJwt(plain.tokens.accessToken).cnf).toBeUndefined();
    const required = await dpopHarness({ mode: 'required' });
    const refused = await signIn(required, null);
    expect(refused.res.status).toBe(400);
    expect((await problem(refused.res)).code).toBe('dpop_required');
  });

  it('a proof for another method or another URL is dpop_proof_invalid, before the challenge is spent', async () => {
    const h = await dpopHarness();
    const key = await DPoP.generateKeyPair('ES256');
    const w = wallet();
    const { message } = await h.challenge(w);
    const body = { message, signature: w.sign(message) };
    for (const dpop of [
      await DPoP.generateProof(key, `${BASE}/verify`, 'GET'),
      await DPoP.generateProof(key, `${BASE}/refresh`, 'POST'),
      await DPoP.generateProof(key, 'https://evil.example.net/auth/verify', 'POST'),
    ]) {
      const res = await h.request('POST', '/auth/verify', { body, headers: { dpop } });
      expect(res.status).toBe(400);
      expect((await problem(res)).code).toBe('dpop_proof_invalid');
    }
    // The signed challenge was not consumed by the refusals.
    const ok = await h.request('POST', '/auth/verify', {
      body,
      // htu normalisation: upper-case scheme and host, the default port (RFC 3986 §6)
      headers: {
        dpop: await DPoP.generateProof(key, 'HTTPS://APP.example.com:443/auth/verify', 'POST'),
      },
    });
    expect(ok.status).toBe(200);
  });

  it('an old iat (frozen clock past the window) and a future iat are dpop_proof_invalid', async () => {
    const h = await dpopHarness();
    const key = await generateKeyPair('ES256');
    const now = h.clock.t;
    const old = await craft(key, { htm: 'POST', htu: `${BASE}/verify` }, {}, now - 91_000);
    const future = await craft(key, { htm: 'POST', htu: `${BASE}/verify` }, {}, now + 31_000);
    for (const proof of [old, future]) {
      const { res } = await signIn(h, () => Promise.resolve(proof));
      expect(res.status).toBe(400);
      expect((await problem(res)).code).toBe('dpop_proof_invalid');
    }
    // Within 60 s + 30 s tolerance it is still fine.
    const recent = await craft(key, { htm: 'POST', htu: `${BASE}/verify` }, {}, now - 80_000);
    expect((await signIn(h, () => Promise.resolve(recent))).res.status).toBe(200);
  });

  it('proofs signed with HS256, with alg none, with a private jwk or without typ dpop+jwt are refused', async () => {
    const h = await dpopHarness();
    const claims = {
      jti: crypto.randomUUID(),
      htm: 'POST',
      htu: `${BASE}/verify`,
      iat: Math.floor(Date.now() / 1000),
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const secret = new TextEncoder().encode('x'.repeat(32));
    // jose's types keep a symmetric key out of `jwk`, which is what this proof does on purpose.
    const octJwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as JWK;
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: octJwk })
      .sign(secret);
    const key = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(key.publicKey);
    const none = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: publicJwk })}.${b64(claims)}.`;
    const privateJwk = await craft(key, claims, { jwk: await exportJWK(key.privateKey) });
    const wrongTyp = await craft(key, claims, { typ: 'JWT' });
    for (const proof of [hs256, none, privateJwk, wrongTyp]) {
      const { res } = await signIn(h, () => Promise.resolve(proof));
      expect(res.status).toBe(400);
      expect((await problem(res)).code).toBe('dpop_proof_invalid');
    }
  });

  it('algorithms: HS256 or none are refused at start-up, and so is a short nonce secret', async () => {
    const base = { domain: 'app.example.com', production: false, store: createMemoryStore() };
    expect(() =>
      createEvrmoreAuth({ ...base, dpop: { mode: 'allowed', algorithms: ['HS256'] } }),
    ).toThrow(/^createEvrmoreAuth: dpop\.algorithms\[0\] must be an asymmetric JWS algorithm/);
    expect(() =>
      createEvrmoreAuth({ ...base, dpop: { mode: 'allowed', algorithms: ['none'] } }),
    ).toThrow(/dpop\.algorithms\[0\] must be an asymmetric/);
    expect(() =>
      createEvrmoreAuth({ ...base, dpop: { mode: 'allowed', nonce: { secret: 'short' } } }),
    ).toThrow('createEvrmoreAuth: dpop.nonce.secret must be a string of at least 32 bytes');
    expect(() => createEvrmoreAuth({ ...base, dpop: { mode: 'sometimes' as 'allowed' } })).toThrow(
      'createEvrmoreAuth: dpop.mode must be "allowed" or "required"',
    );
  });

  it('nonces: a proof without the server nonce is use_dpop_nonce with DPoP-Nonce; with it, signed in', async () => {
    const h = await dpopHarness({ mode: 'allowed', nonce: { secret: 's'.repeat(32) } });
    const key = await DPoP.generateKeyPair('ES256');
    const w = wallet();
    const { message } = await h.challenge(w);
    const body = { message, signature: w.sign(message) };
    const first = await h.request('POST', '/auth/verify', {
      body,
      headers: { dpop: await DPoP.generateProof(key, `${BASE}/verify`, 'POST') },
    });
    expect(first.status).toBe(400);
    expect((await problem(first)).code).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    const forged = await h.request('POST', '/auth/verify', {
      body,
      headers: {
        dpop: await DPoP.generateProof(
          key,
          `${BASE}/verify`,
          'POST',
          `${nonce!.split('.')[0]}.${'A'.repeat(43)}`,
        ),
      },
    });
    expect((await problem(forged)).code).toBe('use_dpop_nonce');
    const ok = await h.request('POST', '/auth/verify', {
      body,
      headers: { dpop: await DPoP.generateProof(key, `${BASE}/verify`, 'POST', nonce!) },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('dpop-nonce')).toBe(nonce);
    // Another instance with the same secret accepts it; after two 5-minute steps it is stale.
    const peer = await createHarness({
      dpop: { mode: 'allowed', nonce: { secret: 's'.repeat(32) } },
    });
    peer.clock.t = h.clock.t;
    const viaPeer = await signIn(peer, (htu) => DPoP.generateProof(key, htu, 'POST', nonce!));
    expect(viaPeer.res.status).toBe(200);
    peer.clock.t += 600_000;
    const stale = await signIn(peer, async (htu) =>
      craft(
        { privateKey: key.privateKey, publicKey: key.publicKey },
        { htm: 'POST', htu, nonce },
        {},
        peer.clock.t,
      ),
    );
    expect((await problem(stale.res)).code).toBe('use_dpop_nonce');
  });

  it('refresh of a bound session: same key rotates (DPoP), another key or no proof is dpop_key_mismatch', async () => {
    const h = await dpopHarness();
    const key = await DPoP.generateKeyPair('ES256');
    const other = await DPoP.generateKeyPair('ES256');
    const { cookie, refresh } = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST'));
    const headers = { cookie: `${cookie}; ${refresh}`, 'x-requested-with': 'evrmore-auth' };
    for (const dpop of [await DPoP.generateProof(other, `${BASE}/refresh`, 'POST'), undefined]) {
      const res = await h.request('POST', '/auth/refresh', {
        headers: dpop ? { ...headers, dpop } : headers,
      });
      expect(res.status).toBe(401);
      expect((await problem(res)).code).toBe('dpop_key_mismatch');
    }
    // Each refusal is an audit event (warn level): the session's cookies used without its key.
    const mismatches = h.events.filter((e) => e.type === 'dpop.key_mismatch');
    expect(mismatches.map((e) => e.detail)).toEqual([
      { route: 'refresh', proof: true },
      { route: 'refresh', proof: false },
    ]);
    expect(mismatches[0]).toMatchObject({ code: 'dpop_key_mismatch', address: wallet().address });
    expect(mismatches[0]!.sessionId).toEqual(expect.any(String));
    const ok = await h.request('POST', '/auth/refresh', {
      headers: { ...headers, dpop: await DPoP.generateProof(key, `${BASE}/refresh`, 'POST') },
    });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('DPoP');
    expect((decodeJwt(tokens.accessToken) as { cnf: { jkt: string } }).cnf.jkt).toBe(
      await DPoP.calculateThumbprint(key.publicKey),
    );
  });

  it('refresh of an unbound session with a proof stays unbound (the binding is made at sign-in)', async () => {
    const h = await dpopHarness();
    const key = await DPoP.generateKeyPair('ES256');
    const { cookie, refresh } = await signIn(h, null);
    const res = await h.request('POST', '/auth/refresh', {
      headers: {
        cookie: `${cookie}; ${refresh}`,
        'x-requested-with': 'evrmore-auth',
        dpop: await DPoP.generateProof(key, `${BASE}/refresh`, 'POST'),
      },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenResponse).tokenType).toBe('Bearer');
  });
});

describe('DPoP and the rate limits', () => {
  it('proofs at /verify are checked past the per-IP budget: a flood of bad proofs gets 429', async () => {
    const h = await createHarness({ dpop: { mode: 'allowed' }, rateLimits: {} });
    const key = await generateKeyPair('ES256');
    const proof = await craft(key, { htm: 'GET', htu: `${BASE}/verify` }, {}, h.clock.t);
    const codes: string[] = [];
    for (let i = 0; i < 31; i++) {
      const res = await h.request('POST', '/auth/verify', {
        body: { message: 'm', signature: 's' },
        headers: { dpop: proof },
      });
      codes.push((await problem(res)).code);
    }
    expect(codes.slice(0, 30).every((c) => c === 'dpop_proof_invalid')).toBe(true);
    expect(codes[30]).toBe('rate_limited');
  });
});

describe('DPoP at /mfa/verify', () => {
  it('binds the second step; a missing nonce spends neither the mfa token nor the code', async () => {
    const h = await createHarness({
      dpop: { mode: 'allowed', nonce: { secret: 'm'.repeat(32) } },
      mfa: {
        encryptionKeys: [
          {
            id: 'k1',
            key: btoa(
              String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255)),
            ),
          },
        ],
      },
    });
    h.clock.t = Date.now();
    // Enrol with a bearer session (no proof: fine in mode allowed).
    const enrolled = await h.signIn();
    const setup = await h.request('POST', '/auth/mfa/totp/setup', {
      headers: enrolled.authHeaders,
      body: {},
    });
    const secret = Secret.fromBase32(((await setup.json()) as { secret: string }).secret).bytes;
    const enable = await h.request('POST', '/auth/mfa/totp/enable', {
      headers: enrolled.authHeaders,
      body: { code: generateTotpCode(secret, h.clock.t) },
    });
    expect(enable.status).toBe(200);
    h.tick(30_000); // the next TOTP step (a step is accepted once)

    const w = wallet();
    const { message } = await h.challenge(w);
    const step1 = await h.request('POST', '/auth/verify', {
      body: { message, signature: w.sign(message) },
    });
    const { mfaToken } = (await step1.json()) as { mfaToken: string };
    const key = await DPoP.generateKeyPair('ES256');
    const body = { mfaToken, code: generateTotpCode(secret, h.clock.t) };
    const noNonce = await h.request('POST', '/auth/mfa/verify', {
      body,
      headers: { dpop: await DPoP.generateProof(key, `${BASE}/mfa/verify`, 'POST') },
    });
    expect(noNonce.status).toBe(400);
    expect((await problem(noNonce)).code).toBe('use_dpop_nonce');
    const nonce = noNonce.headers.get('dpop-nonce')!;
    const ok = await h.request('POST', '/auth/mfa/verify', {
      body,
      headers: { dpop: await DPoP.generateProof(key, `${BASE}/mfa/verify`, 'POST', nonce) },
    });
    expect(ok.status).toBe(200);
    const tokens = (await ok.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('DPoP');
    expect((decodeJwt(tokens.accessToken) as { cnf: { jkt: string } }).cnf.jkt).toBe(
      await DPoP.calculateThumbprint(key.publicKey),
    );
  });
});

describe('DPoP at protected resources', () => {
  async function boundSession(h: Harness) {
    const key = await DPoP.generateKeyPair('ES256');
    const s = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST'));
    const call = async (dpop: string | null, scheme = 'DPoP') =>
      h.request('GET', '/auth/session', {
        headers: {
          authorization: `${scheme} ${s.tokens.accessToken}`,
          cookie: s.cookie,
          ...(dpop === null ? {} : { dpop }),
        },
      });
    const proof = (
      k = key,
      token = s.tokens.accessToken,
      url = `${BASE}/session`,
      method = 'GET',
    ) => DPoP.generateProof(k, url, method, undefined, token);
    return { key, ...s, call, proof };
  }

  it('a bound token with a proof of its key (ath = its hash) is accepted; a replayed proof is refused', async () => {
    const h = await dpopHarness();
    const s = await boundSession(h);
    const proof = await s.proof();
    const ok = await s.call(proof);
    expect(ok.status).toBe(200);
    const again = await s.call(proof);
    expect(again.status).toBe(401);
    expect((await problem(again)).code).toBe('dpop_proof_invalid');
    expect(again.headers.get('www-authenticate')).toBe(`DPoP error="invalid_dpop_proof", ${ALGS}`);
  });

  it('another method or URL, an ath of another token, another key: each refused with its code', async () => {
    const h = await dpopHarness();
    const s = await boundSession(h);
    const cases: [string, string, string][] = [
      [
        await s.proof(s.key, s.tokens.accessToken, `${BASE}/session`, 'POST'),
        'dpop_proof_invalid',
        'invalid_dpop_proof',
      ],
      [
        await s.proof(s.key, s.tokens.accessToken, `${BASE}/sessions`),
        'dpop_proof_invalid',
        'invalid_dpop_proof',
      ],
      [await s.proof(s.key, 'another.access.token'), 'dpop_proof_invalid', 'invalid_dpop_proof'],
      [await s.proof(await DPoP.generateKeyPair('ES256')), 'dpop_key_mismatch', 'invalid_token'],
    ];
    for (const [proof, code, error] of cases) {
      const res = await s.call(proof);
      expect(res.status).toBe(401);
      expect((await problem(res)).code).toBe(code);
      expect(res.headers.get('www-authenticate')).toBe(`DPoP error="${error}", ${ALGS}`);
    }
  });

  it('a bound token sent as Bearer, or without a proof, is refused; an unbound token sent as DPoP too', async () => {
    const h = await dpopHarness();
    const s = await boundSession(h);
    expect((await s.call(await s.proof())).status).toBe(200);
    // twice: a refusal, or the accepted DPoP call before, is never remembered for the next one
    for (let i = 0; i < 2; i++) {
      const asBearer = await s.call(await s.proof(), 'Bearer');
      expect(asBearer.status).toBe(401);
      expect((await problem(asBearer)).code).toBe('token_invalid');
      expect(asBearer.headers.get('www-authenticate')).toBe(`DPoP error="invalid_token", ${ALGS}`);
    }
    const noProof = await s.call(null);
    expect((await problem(noProof)).code).toBe('dpop_proof_invalid');
    const plain = await signIn(h, null);
    // accepted as Bearer first (and remembered for a second), then sent as DPoP
    const asSent = { authorization: `Bearer ${plain.tokens.accessToken}`, cookie: plain.cookie };
    expect((await h.request('GET', '/auth/session', { headers: asSent })).status).toBe(200);
    const unbound = await h.request('GET', '/auth/session', {
      headers: {
        authorization: `DPoP ${plain.tokens.accessToken}`,
        cookie: plain.cookie,
        dpop: await s.proof(s.key, plain.tokens.accessToken),
      },
    });
    expect(unbound.status).toBe(401);
    expect((await problem(unbound)).code).toBe('token_invalid');
    // No credentials: both schemes are offered.
    const none = await h.request('GET', '/auth/session');
    expect(none.headers.get('www-authenticate')).toBe(`Bearer, DPoP ${ALGS}`);
  });

  it('the fingerprint cookie still applies to a bound token', async () => {
    const h = await dpopHarness();
    const s = await boundSession(h);
    const res = await h.request('GET', '/auth/session', {
      headers: { authorization: `DPoP ${s.tokens.accessToken}`, dpop: await s.proof() },
    });
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('fingerprint_mismatch');
  });

  it('nonces at a resource: 401 use_dpop_nonce with WWW-Authenticate and DPoP-Nonce', async () => {
    const h = await dpopHarness({ mode: 'required', nonce: { secret: 'n'.repeat(40) } });
    const key = await DPoP.generateKeyPair('ES256');
    const first = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST'));
    const nonce = first.res.headers.get('dpop-nonce')!;
    const s = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST', nonce));
    expect(s.tokens.tokenType).toBe('DPoP');
    const headers = { authorization: `DPoP ${s.tokens.accessToken}`, cookie: s.cookie };
    const missing = await h.request('GET', '/auth/session', {
      headers: {
        ...headers,
        dpop: await DPoP.generateProof(
          key,
          `${BASE}/session`,
          'GET',
          undefined,
          s.tokens.accessToken,
        ),
      },
    });
    expect(missing.status).toBe(401);
    expect((await problem(missing)).code).toBe('use_dpop_nonce');
    expect(missing.headers.get('www-authenticate')).toBe(`DPoP error="use_dpop_nonce", ${ALGS}`);
    expect(missing.headers.get('dpop-nonce')).toBe(nonce);
    const ok = await h.request('GET', '/auth/session', {
      headers: {
        ...headers,
        dpop: await DPoP.generateProof(key, `${BASE}/session`, 'GET', nonce, s.tokens.accessToken),
      },
    });
    expect(ok.status).toBe(200);
  });

  it('authenticate() takes a fetch Request; the proof names its URL; a replay-cache outage is 503', async () => {
    const store = createMemoryStore();
    let down = false;
    const flaky = {
      ...store,
      createRateLimiter(o: Parameters<typeof store.createRateLimiter>[0]) {
        const limiter = store.createRateLimiter(o);
        if (o.keyPrefix !== 'ea:dpop') return limiter;
        const consume = limiter.consume.bind(limiter);
        limiter.consume = (key, points) =>
          down ? Promise.reject(new Error('ECONNRESET')) : consume(key, points);
        return limiter;
      },
    };
    const h = await createHarness({ dpop: { mode: 'allowed' }, store: flaky });
    h.clock.t = Date.now();
    const s = await boundSession(h);
    const url = 'https://api.example.com/posts?draft=1';
    const request = async (dpop: string) =>
      new Request(url, {
        method: 'POST',
        headers: { authorization: `DPoP ${s.tokens.accessToken}`, cookie: s.cookie, dpop },
      });
    const identity = await h.auth.authenticate(
      await request(
        await s.proof(s.key, s.tokens.accessToken, 'https://api.example.com/posts', 'POST'),
      ),
    );
    expect(identity.address).toBe(wallet().address);
    down = true;
    const res = await h.request('GET', '/auth/session', {
      headers: {
        authorization: `DPoP ${s.tokens.accessToken}`,
        cookie: s.cookie,
        dpop: await s.proof(),
      },
    });
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('unavailable');
  });
});

describe('DPoP off', () => {
  it('a DPoP header is ignored: bearer tokens as before', async () => {
    const h = await createHarness();
    h.clock.t = Date.now();
    const key = await DPoP.generateKeyPair('ES256');
    const { res, tokens } = await signIn(h, (htu) => DPoP.generateProof(key, htu, 'POST'));
    expect(res.status).toBe(200);
    expect(tokens.tokenType).toBe('Bearer');
    expect(await calculateJwkThumbprint(await exportJWK(key.publicKey))).toBeTypeOf('string');
  });
});

describe('DPoP on Redis: two instances, two store clients, one Redis', () => {
  it("a proof used on one instance is refused on the other; either instance's nonce works on both", async () => {
    const { Redis } = await import('ioredis');
    const { createRedisStore } = await import('../stores/redis.js');
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const keyPrefix = `evrauth-test-dpop-${process.pid}-${Date.now()}:`;
    const clock = { t: Date.now() };
    const now = (): number => clock.t;
    const storeA = createRedisStore({ url, keyPrefix, now });
    const storeB = createRedisStore({ url, keyPrefix, now });
    const admin = new Redis(url);
    const dpop: DPoPConfig = { mode: 'required', nonce: { secret: 'r'.repeat(32) } };
    try {
      const a = await createHarness({ store: storeA as never, now, dpop });
      const b = await createHarness({ store: storeB as never, now, dpop });
      const key = await DPoP.generateKeyPair('ES256');
      // The nonce comes from A's refusal; B accepts it.
      const refused = await signIn(a, (htu) => DPoP.generateProof(key, htu, 'POST'));
      expect((await problem(refused.res)).code).toBe('use_dpop_nonce');
      const nonce = refused.res.headers.get('dpop-nonce')!;
      const s = await signIn(b, (htu) => DPoP.generateProof(key, htu, 'POST', nonce));
      expect(s.res.status).toBe(200);
      expect(s.tokens.tokenType).toBe('DPoP');

      const proof = await DPoP.generateProof(
        key,
        `${BASE}/session`,
        'GET',
        nonce,
        s.tokens.accessToken,
      );
      const call = (h: Harness) =>
        h.request('GET', '/auth/session', {
          headers: { authorization: `DPoP ${s.tokens.accessToken}`, cookie: s.cookie, dpop: proof },
        });
      expect((await call(a)).status).toBe(200);
      const replayed = await call(b);
      expect(replayed.status).toBe(401);
      expect((await problem(replayed)).code).toBe('dpop_proof_invalid');
      // A refresh on A of the session bound on B: another key is refused there too.
      const other = await DPoP.generateKeyPair('ES256');
      const res = await a.request('POST', '/auth/refresh', {
        headers: {
          cookie: `${s.cookie}; ${s.refresh}`,
          'x-requested-with': 'evrmore-auth',
          dpop: await DPoP.generateProof(other, `${BASE}/refresh`, 'POST', nonce),
        },
      });
      expect((await problem(res)).code).toBe('dpop_key_mismatch');
    } finally {
      await storeA.close?.();
      await storeB.close?.();
      const keys = await admin.keys(`${keyPrefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    }
  });
});
