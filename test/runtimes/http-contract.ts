// A runtime-independent HTTP conformance subset of the server (docs/PROTOCOL.md §3-§6), run from
// outside against a server on any runtime: a wallet signs in with a real signature, replay and
// forgery are refused, refresh rotates and reuse revokes the family, sign-out revokes, and bad
// input gets a 4xx problem+json. Each check stands alone (its own wallet), so a failure names one
// behaviour on one runtime. The server must be configured with `refreshGraceSeconds: 0` (see
// the reuse check) and the test's ORIGIN as its one allowed origin.

import { request as httpRequest } from 'node:http';
import {
  generatePrivateKey,
  privateKeyToAddress,
  signMessage,
  type ErrorCode,
} from '@evrmore-auth/core';
import { expect } from 'vitest';

/** A running server under test. */
export interface ContractTarget {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The web app's origin the server is configured with (sent as `Origin` on `/refresh`). */
  origin: string;
  /** Headers sent with every request (e.g. `cf-connecting-ip`, which only workerd's fixture reads). */
  headers: Record<string, string>;
  /** The client IP the server must record in the session (how the runtime passes it). */
  expectedIp: string;
  /** The `kid` of the server's one signing key (published in its JWKS). */
  keyId: string;
}

/** One behaviour of the contract. */
export interface ContractCheck {
  name: string;
  run(target: ContractTarget): Promise<void>;
}

interface Wallet {
  privateKey: Uint8Array;
  address: string;
}

function newWallet(): Wallet {
  const privateKey = generatePrivateKey();
  return { privateKey, address: privateKeyToAddress(privateKey) };
}

type Cookies = Record<string, string>;

/** The cookies a browser would keep after `res` (a cleared cookie is dropped). */
function keepCookies(res: Response, previous: Cookies = {}): Cookies {
  const out = { ...previous };
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '') delete out[name];
    else out[name] = value;
  }
  return out;
}

const cookieHeader = (cookies: Cookies): string =>
  Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

function request(
  t: ContractTarget,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    ...init,
    headers: { ...t.headers, ...init.headers },
    signal: AbortSignal.timeout(20_000),
  });
}

const postJson = (
  t: ContractTarget,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> =>
  request(t, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/**
 * POSTs `bytes` of JSON whitespace as a chunked body (no content-length), so the server must count
 * while reading. node:http instead of fetch: a server may answer 413 and close before the body is
 * sent, and fetch then reports the failed write instead of the answer it already got.
 */
function streamedPost(t: ContractTarget, path: string, bytes: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${t.url}${path}`, {
      method: 'POST',
      headers: { ...t.headers, 'content-type': 'application/json' },
      timeout: 20_000,
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          if (typeof v === 'string') headers.set(k, v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers }));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer to the streamed body')));
    // A write cut short by the server's early answer is expected; no answer at all is not.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(4096, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

/** Asserts a problem+json answer with `status` and `code` (PROTOCOL.md §6). */
async function expectProblem(res: Response, status: number, code: ErrorCode): Promise<void> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as { status: number; code: string; title: string };
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
}

interface SignedIn {
  accessToken: string;
  sessionId: string;
  cookies: Cookies;
}

async function signedChallenge(t: ContractTarget, wallet: Wallet, signer = wallet) {
  const res = await postJson(t, '/auth/challenge', { address: wallet.address });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { message: string; nonce: string; expiresAt: string };
  expect(body.message).toContain(`\n${wallet.address}\n`);
  expect(body.message).toContain(`Nonce: ${body.nonce}\n`);
  return {
    message: body.message,
    signature: signMessage({ privateKey: signer.privateKey, message: body.message }),
  };
}

async function readSignIn(res: Response, previous: Cookies = {}): Promise<SignedIn> {
  expect(res.status, await res.clone().text()).toBe(200);
  const body = (await res.json()) as {
    accessToken: string;
    tokenType: string;
    expiresIn: number;
    session: { id: string; address: string };
  };
  expect(body.tokenType).toBe('Bearer');
  expect(body.expiresIn).toBeGreaterThan(0);
  return {
    accessToken: body.accessToken,
    sessionId: body.session.id,
    cookies: keepCookies(res, previous),
  };
}

async function signIn(t: ContractTarget, wallet: Wallet): Promise<SignedIn> {
  const signed = await signedChallenge(t, wallet);
  return readSignIn(await postJson(t, '/auth/verify', signed));
}

const bearer = (s: SignedIn): Record<string, string> => ({
  authorization: `Bearer ${s.accessToken}`,
  cookie: cookieHeader(s.cookies),
});

const refresh = (t: ContractTarget, cookies: Cookies): Promise<Response> =>
  postJson(t, '/auth/refresh', {}, { origin: t.origin, cookie: cookieHeader(cookies) });

/** The checks, in the order the matrix runs them. */
export const HTTP_CONTRACT: ContractCheck[] = [
  {
    name: 'a real signature signs in; the access token opens GET /auth/sessions; the session records the client IP',
    async run(t) {
      const wallet = newWallet();
      const s = await signIn(t, wallet);
      // The security headers of every auth response (PROTOCOL.md §7).
      const jwks = await request(t, '/auth/jwks.json');
      expect(jwks.status).toBe(200);
      expect(Object.fromEntries(jwks.headers)).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      });
      const { keys } = (await jwks.json()) as { keys: { kid: string; d?: string }[] };
      expect(keys.map((k) => k.kid)).toEqual([t.keyId]);
      expect(keys.some((k) => 'd' in k)).toBe(false);
      // The fingerprint and refresh cookies of the sign-in (PROTOCOL.md §4).
      expect(Object.keys(s.cookies).length).toBeGreaterThanOrEqual(2);
      const res = await request(t, '/auth/sessions', { headers: bearer(s) });
      expect(res.status, await res.clone().text()).toBe(200);
      const { sessions } = (await res.json()) as {
        sessions: { id: string; address: string; ip: string | null; current?: boolean }[];
      };
      expect(sessions).toHaveLength(1);
      expect(sessions[0]).toMatchObject({
        id: s.sessionId,
        address: wallet.address,
        ip: t.expectedIp,
        current: true,
      });
      const me = await request(t, '/api/me', { headers: bearer(s) });
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ address: wallet.address });
      // Without a token: 401 token_missing with a bare Bearer challenge (RFC 6750).
      const anonymous = await request(t, '/auth/sessions');
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      await expectProblem(anonymous, 401, 'token_missing');
      // The access token without its fingerprint cookie is useless.
      const stolen = await request(t, '/auth/sessions', {
        headers: { authorization: `Bearer ${s.accessToken}` },
      });
      await expectProblem(stolen, 401, 'fingerprint_mismatch');
    },
  },
  {
    name: 'replaying a signed message that already signed in is refused (challenge_unknown)',
    async run(t) {
      const wallet = newWallet();
      const signed = await signedChallenge(t, wallet);
      await readSignIn(await postJson(t, '/auth/verify', signed));
      await expectProblem(await postJson(t, '/auth/verify', signed), 401, 'challenge_unknown');
    },
  },
  {
    name: 'a signature by another key is refused (invalid_signature) and spends the challenge',
    async run(t) {
      const wallet = newWallet();
      const forged = await signedChallenge(t, wallet, newWallet());
      await expectProblem(await postJson(t, '/auth/verify', forged), 401, 'invalid_signature');
      // The nonce was spent by the failed attempt: the right signature now comes too late.
      const genuine = {
        message: forged.message,
        signature: signMessage({ privateKey: wallet.privateKey, message: forged.message }),
      };
      await expectProblem(await postJson(t, '/auth/verify', genuine), 401, 'challenge_unknown');
    },
  },
  {
    name: 'refresh rotates; a rotated token presented after the grace window revokes the family (refresh_reused)',
    async run(t) {
      const s = await signIn(t, newWallet());
      const first = await refresh(t, s.cookies);
      const a = await readSignIn(first, s.cookies);
      expect(a.sessionId).toBe(s.sessionId);
      expect(a.accessToken).not.toBe(s.accessToken);
      const rotated = Object.keys(a.cookies).filter((k) => a.cookies[k] !== s.cookies[k]);
      expect(rotated).toHaveLength(1); // the refresh cookie, and nothing else
      const b = await readSignIn(await refresh(t, a.cookies), a.cookies);
      expect((await request(t, '/auth/sessions', { headers: bearer(b) })).status).toBe(200);
      // The sign-in's token again (grace window 0 s, its successor already used): theft.
      await expectProblem(await refresh(t, s.cookies), 401, 'refresh_reused');
      // The whole family is gone: the newest refresh token and access token too.
      await expectProblem(await refresh(t, b.cookies), 401, 'refresh_invalid');
      const revoked = await request(t, '/auth/sessions', { headers: bearer(b) });
      expect(revoked.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      await expectProblem(revoked, 401, 'token_revoked');
    },
  },
  {
    name: 'refresh needs an allowed Origin (origin_forbidden)',
    async run(t) {
      const s = await signIn(t, newWallet());
      const res = await postJson(
        t,
        '/auth/refresh',
        {},
        { origin: 'https://evil.example', cookie: cookieHeader(s.cookies) },
      );
      await expectProblem(res, 403, 'origin_forbidden');
    },
  },
  {
    name: 'sign-out (POST /auth/logout) revokes the session: access and refresh tokens stop working',
    async run(t) {
      const s = await signIn(t, newWallet());
      const out = await request(t, '/auth/logout', {
        method: 'POST',
        headers: { ...bearer(s), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(out.status, await out.clone().text()).toBe(204);
      await expectProblem(
        await request(t, '/auth/session', { headers: bearer(s) }),
        401,
        'token_revoked',
      );
      await expectProblem(await refresh(t, s.cookies), 401, 'refresh_invalid');
    },
  },
  {
    name: 'rate limits are per IP + address: the 11th challenge in a minute is 429 rate_limited, another address is not',
    async run(t) {
      const wallet = newWallet();
      const ask = (address: string) => postJson(t, '/auth/challenge', { address });
      // PROTOCOL.md §8: 10 challenges per minute per IP + address.
      for (let i = 0; i < 10; i++) expect((await ask(wallet.address)).status).toBe(201);
      const limited = await ask(wallet.address);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectProblem(limited, 429, 'rate_limited');
      // The same IP asking for someone else is not locked out by it.
      expect((await ask(newWallet().address)).status).toBe(201);
    },
  },
  {
    name: 'bad input is a 4xx problem+json, never a 5xx',
    async run(t) {
      const json = { 'content-type': 'application/json' };
      const post = (body: BodyInit, headers: Record<string, string> = json) =>
        request(t, '/auth/challenge', { method: 'POST', headers, body });
      // Half of them at /verify: the rate-limit check spends most of /challenge's per-IP budget.
      const verify = (body: BodyInit) =>
        request(t, '/auth/verify', { method: 'POST', headers: json, body });
      await expectProblem(await post('{"address":'), 400, 'invalid_request');
      await expectProblem(await verify('[]'), 400, 'invalid_request');
      await expectProblem(await verify('{"__proto__":{}}'), 400, 'invalid_request');
      await expectProblem(await verify(''), 400, 'invalid_request');
      await expectProblem(await verify(Uint8Array.of(0x7b, 0xff, 0x7d)), 400, 'invalid_request');
      await expectProblem(
        await verify(JSON.stringify({ message: 'not a sign-in message', signature: 'AAAA' })),
        400,
        'invalid_message',
      );
      await expectProblem(
        await post(JSON.stringify({ address: 'not-an-address' })),
        400,
        'invalid_address',
      );
      await expectProblem(
        await post(JSON.stringify({ address: newWallet().address }), {
          'content-type': 'text/plain',
        }),
        415,
        'unsupported_media_type',
      );
      // Over 16 KiB, declared by content-length…
      const big = JSON.stringify({ address: 'E'.repeat(17 * 1024) });
      await expectProblem(await post(big), 413, 'payload_too_large');
      // …and streamed without one (counted while reading).
      await expectProblem(
        await streamedPost(t, '/auth/challenge', 24 * 1024),
        413,
        'payload_too_large',
      );
      await expectProblem(await request(t, '/auth/challenge'), 405, 'method_not_allowed');
      await expectProblem(await request(t, '/auth/no-such-route'), 404, 'not_found');
      const malformed = await request(t, '/auth/sessions', {
        headers: { authorization: 'Bearer not.a.jwt', cookie: 'x=y' },
      });
      await expectProblem(malformed, 401, 'token_invalid');
    },
  },
];
