// The example Worker (examples/runtimes/worker), built by wrangler as `wrangler deploy` would build
// it, served under workerd as two services: two isolates of one Worker sharing one Durable Object
// namespace, as a deployed Worker's isolates do. Everything is checked over HTTP, across the two:
// what one isolate issues, rotates, revokes or counts, the other sees at once.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signMessage } from '@evrmore-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOWED_RATE_LIMITER_FILES,
  buildWorker,
  packageFiles,
} from '../../scripts/worker-bundle-size.mjs';
import {
  cookieHeader,
  newWallet,
  readTokens,
  type Cookies,
  type SignedIn,
  type Wallet,
} from '../scale/wallet-client.js';
import { startWorkerd, type WorkerdProcess } from './workerd.js';

const ORIGIN = 'https://app.example.test';
/** The example's CHALLENGES_PER_IP_PER_MINUTE var, tight so a test can spend it. */
const CHALLENGES_PER_IP = 3;

let dir: string;
/** The bundle wrangler built. */
let module: string;
/** esbuild's metafile of the build: what the bundle is made of. */
let meta: { inputs: Record<string, unknown> };
let workerd: WorkerdProcess;
/** The two isolates' base URLs. */
let one: string;
let two: string;

/** AUTH_KEYS as `wrangler secret put` would hold it: one Ed25519 private JWK. */
function authKeys(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return JSON.stringify([
    { kid: 'worker-test', alg: 'EdDSA', privateKey: privateKey.export({ format: 'jwk' }) },
  ]);
}

// Each test is its own client network (rate limits are per IP): cf-connecting-ip says which.
let lastOctet = 0;
const newIp = (): string => `198.51.100.${++lastOctet}`;

interface Call {
  ip: string;
  method?: string;
  body?: unknown;
  cookies?: Cookies;
  token?: string;
}

function call(base: string, path: string, { ip, method, body, cookies, token }: Call) {
  const headers: Record<string, string> = { origin: ORIGIN, 'cf-connecting-ip': ip };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cookies !== undefined) headers.cookie = cookieHeader(cookies);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
}

/** A challenge from `base`, signed by `wallet`: the body of POST /auth/verify. */
async function signedChallenge(base: string, wallet: Wallet, ip: string) {
  const res = await call(base, '/auth/challenge', { ip, body: { address: wallet.address } });
  expect(res.status, await res.clone().text()).toBe(201);
  const { message } = (await res.json()) as { message: string };
  return { message, signature: signMessage({ privateKey: wallet.privateKey, message }) };
}

/** Signs in with a challenge from `challengeAt`, verified at `verifyAt`. */
async function signIn(challengeAt: string, verifyAt: string, wallet: Wallet, ip: string) {
  const body = await signedChallenge(challengeAt, wallet, ip);
  const res = await call(verifyAt, '/auth/verify', { ip, body });
  expect(res.status, await res.clone().text()).toBe(200);
  return readTokens(res);
}

/** GET /api/me, the example's route behind `auth.authenticate`. */
const me = (base: string, s: SignedIn, ip: string) =>
  call(base, '/api/me', { ip, token: s.accessToken, cookies: s.cookies });

const code = async (res: Response): Promise<unknown> =>
  ((await res.json()) as { code?: unknown }).code;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-worker-example-'));
  const metafile = join(dir, 'meta.json');
  module = await buildWorker({ outdir: join(dir, 'out'), metafile });
  meta = JSON.parse(await readFile(metafile, 'utf8')) as typeof meta;
  const vars = {
    ORIGIN,
    AUTH_KEYS: authKeys(),
    CHALLENGES_PER_IP_PER_MINUTE: String(CHALLENGES_PER_IP),
    // A replayed refresh token is reuse at once, not a duplicate within the grace window.
    REFRESH_GRACE_SECONDS: '0',
  };
  const className = 'EvrmoreAuthStoreObject';
  workerd = await startWorkerd([
    { name: 'isolate-1', module, vars, durableObjects: { AUTH_STORE: className } },
    {
      name: 'isolate-2',
      module,
      vars,
      durableObjectBindings: { AUTH_STORE: { service: 'isolate-1', className } },
    },
  ]);
  one = workerd.urls['isolate-1']!;
  two = workerd.urls['isolate-2']!;
}, 120_000);

afterAll(async () => {
  await workerd?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the example Worker, two isolates sharing its Durable Object store', () => {
  it('starts: the auth created at module scope answers the first request of each isolate', async () => {
    const ip = newIp();
    const wallet = newWallet();
    for (const base of [one, two]) {
      const res = await call(base, '/auth/challenge', { ip, body: { address: wallet.address } });
      expect(res.status).toBe(201);
    }
    // The first request that needs the signing keys imports them (they are not imported at
    // module scope, where Workers forbid it): the JWKS is the configured key's.
    const jwks = (await (await call(two, '/auth/jwks.json', { ip })).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['worker-test']);
    expect(workerd.process.output()).not.toMatch(/Disallowed operation|Uncaught/);
  });

  it('a malformed AUTH_KEYS secret stops the Worker at start-up, naming the secret but not its value', async () => {
    const vars = { ORIGIN, AUTH_KEYS: 'not-json-but-a-secret-0123456789' };
    // workerd exits when the module throws while loading; it may have opened its port just
    // before, so startWorkerd either rejects with the output or resolves and the process exits.
    const output = await startWorkerd([
      { name: 'bad', module, vars, durableObjects: { AUTH_STORE: 'EvrmoreAuthStoreObject' } },
    ]).then(
      async (w) => {
        const { child } = w.process;
        if (child.exitCode === null && child.signalCode === null)
          await new Promise((exited) => child.once('exit', exited));
        await w.stop();
        return w.process.output();
      },
      (error: Error) => error.message,
    );
    expect(output).toContain('Uncaught TypeError: AUTH_KEYS must be a JSON array of keys');
    expect(output).not.toContain('not-json-but-a-secret');
  });

  it('the bundle carries no rate-limiter-flexible backend but the memory limiter', () => {
    const files = packageFiles(meta, 'rate-limiter-flexible');
    expect(files).toContain('lib/RateLimiterRes.js');
    expect(files.filter((f) => !ALLOWED_RATE_LIMITER_FILES.test(f))).toEqual([]);
  });

  it('a challenge issued by one isolate is verified by the other; the token works at both', async () => {
    const ip = newIp();
    const wallet = newWallet();
    const body = await signedChallenge(one, wallet, ip);
    const verified = await call(two, '/auth/verify', { ip, body });
    expect(verified.status).toBe(200);
    const session = await readTokens(verified);
    for (const base of [one, two]) {
      const res = await me(base, session, ip);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ address: wallet.address });
    }
    // The challenge was consumed in the shared store: the same signed message is refused at the
    // isolate that issued it.
    const replay = await call(one, '/auth/verify', { ip, body });
    expect(replay.status).toBe(401);
    expect(await code(replay)).toBe('challenge_unknown');
  });

  it('one signed challenge submitted to both isolates at once signs in exactly once', async () => {
    const ip = newIp();
    const body = await signedChallenge(two, newWallet(), ip);
    const answers = await Promise.all([
      call(one, '/auth/verify', { ip, body }),
      call(two, '/auth/verify', { ip, body }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('a refresh token rotates once across isolates; its reuse revokes the session at both', async () => {
    const ip = newIp();
    const signedIn = await signIn(one, one, newWallet(), ip);
    const first = signedIn.cookies;

    const rotated = await call(two, '/auth/refresh', { ip, body: {}, cookies: first });
    expect(rotated.status).toBe(200);
    const second = await readTokens(rotated, first);
    expect(second.cookies).not.toEqual(first);

    // The successor is used at the other isolate: it rotates again.
    const again = await call(one, '/auth/refresh', { ip, body: {}, cookies: second.cookies });
    expect(again.status).toBe(200);
    const third = await readTokens(again, second.cookies);
    expect((await me(two, third, ip)).status).toBe(200);

    // The first refresh token, replayed once its successor was used: token theft. The session is
    // revoked in the shared store, so the newest tokens die at both isolates.
    const reused = await call(two, '/auth/refresh', { ip, body: {}, cookies: first });
    expect(reused.status).toBe(401);
    expect(await code(reused)).toBe('refresh_reused');
    const after = await call(one, '/auth/refresh', { ip, body: {}, cookies: third.cookies });
    expect(after.status).toBe(401);
    for (const base of [one, two]) {
      const res = await me(base, third, ip);
      expect(res.status).toBe(401);
      expect(await code(res)).toBe('token_revoked');
    }
  });

  it('sign-out at one isolate refuses the access token at the other at once', async () => {
    const ip = newIp();
    const session = await signIn(two, one, newWallet(), ip);
    // Authenticated twice at isolate 2 first: its verified-token cache holds the token. The
    // session is still read from the store on every request (sessionCheck's default), so the
    // sign-out elsewhere is seen on the very next request, cache or not.
    expect((await me(two, session, ip)).status).toBe(200);
    expect((await me(two, session, ip)).status).toBe(200);

    const logout = await call(one, '/auth/logout', {
      ip,
      body: {},
      token: session.accessToken,
      cookies: session.cookies,
    });
    expect(logout.status).toBe(204);

    const refused = await me(two, session, ip);
    expect(refused.status).toBe(401);
    expect(await code(refused)).toBe('token_revoked');
    expect(refused.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('production is on under workerd: a request without cf-connecting-ip is refused, not put in a shared bucket', async () => {
    const res = await fetch(`${one}/auth/challenge`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ address: newWallet().address }),
      signal: AbortSignal.timeout(30_000),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('rate limits are counted across isolates, per cf-connecting-ip: an attacker does not block a victim', async () => {
    const attacker = '127.0.0.2';
    const victim = '127.0.0.1';
    // The attacker's challenges alternate between the isolates; one budget holds for both.
    const statuses: number[] = [];
    for (let i = 0; i <= CHALLENGES_PER_IP; i++) {
      const res = await call(i % 2 === 0 ? one : two, '/auth/challenge', {
        ip: attacker,
        body: { address: newWallet().address },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(await code(res)).toBe('rate_limited');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array<number>(CHALLENGES_PER_IP).fill(201), 429]);

    // Every request reaches workerd from the same loopback peer; only cf-connecting-ip differs.
    const wallet = newWallet();
    const session = await signIn(two, one, wallet, victim);
    expect(await (await me(one, session, victim)).json()).toMatchObject({
      address: wallet.address,
    });
  });
});
