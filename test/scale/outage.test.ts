// Store outage across real server processes: a test-owned redis-server (its own port, never the
// shared one) is stopped mid-run. Every auth endpoint answers 503 `unavailable` (bounded by the
// request timeout: a hang fails the test), nothing authenticates, and service resumes by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  redisServerBinary,
  serverBuilt,
  sharedJwk,
  sharedMfaKey,
  startInstances,
  startOwnedRedis,
  type Instance,
  type OwnedRedis,
} from './cluster.js';
import {
  cookieHeader,
  getSession,
  newWallet,
  post,
  problemCode,
  refresh,
  signIn,
  signedChallenge,
} from './wallet-client.js';

const missing = [
  ...(redisServerBinary() === null ? ['redis-server on PATH'] : []),
  ...(serverBuilt() ? [] : ['the built server package (run `pnpm build` first)']),
];

if (missing.length > 0 && process.env.CI === 'true') {
  describe('store outage across instances', () => {
    it(`needs ${missing.join(' and ')}`, () => {
      throw new Error(`CI=true but ${missing.join(' and ')} is missing`);
    });
  });
} else {
  if (missing.length > 0) {
    console.log(`SKIP: store outage across instances: ${missing.join(' and ')} missing`);
  }
  describe.skipIf(missing.length > 0)('store outage across instances', () => {
    let redis: OwnedRedis;
    let nodes: Instance[] = [];
    beforeAll(async () => {
      redis = await startOwnedRedis();
      nodes = await startInstances(2, {
        STORE: 'redis',
        REDIS_URL: redis.url,
        KEY_PREFIX: 'outage:',
        AUTH_JWK: sharedJwk(),
        MFA_KEY: sharedMfaKey(),
      });
    });
    afterAll(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await redis?.stop();
    });

    it('every auth endpoint answers 503 unavailable while Redis is down, then service resumes', async () => {
      const [a, b] = [nodes[0]!.url, nodes[1]!.url];
      const wallet = newWallet();
      const s = await signIn(a, b, wallet);
      const pending = await signedChallenge(a, wallet);
      expect((await getSession(b, s)).status).toBe(200);
      // The MFA route belongs to the MFA feature; include it when this build serves it. While the
      // store is up an unknown mfa token is refused (4xx), never accepted.
      const mfaBody = { mfaToken: 'x'.repeat(43), code: '123456' };
      const mfaProbe = await post(a, '/auth/mfa/verify', mfaBody);
      await mfaProbe.arrayBuffer();
      const hasMfa = mfaProbe.status !== 404;
      if (hasMfa) expect(mfaProbe.status).toBe(401);

      await redis.stop();

      const bearer = { authorization: `Bearer ${s.accessToken}`, cookie: cookieHeader(s.cookies) };
      const calls: Array<[string, () => Promise<Response>]> = [
        ['challenge', () => post(a, '/auth/challenge', { address: wallet.address })],
        ['verify', () => post(b, '/auth/verify', pending)],
        ['refresh', () => refresh(a, s.cookies)],
        ['session', () => getSession(b, s)],
        [
          'sessions',
          () =>
            fetch(`${a}/auth/sessions`, { headers: bearer, signal: AbortSignal.timeout(30_000) }),
        ],
        ['logout', () => post(b, '/auth/logout', {}, bearer)],
        [
          'delete session',
          () =>
            fetch(`${a}/auth/sessions/${s.sessionId}`, {
              method: 'DELETE',
              headers: { ...bearer, origin: 'https://app.example.test' },
              signal: AbortSignal.timeout(30_000),
            }),
        ],
      ];
      if (hasMfa) {
        calls.push(['mfa verify', () => post(b, '/auth/mfa/verify', mfaBody)]);
        calls.push(['totp setup', () => post(a, '/auth/mfa/totp/setup', {}, bearer)]);
      } else
        console.log('outage test: /auth/mfa/verify not served by this build (404); not checked');
      for (const [name, call] of calls) {
        const res = await call();
        const code = await problemCode(res);
        expect({ name, status: res.status, code }).toEqual({
          name,
          status: 503,
          code: 'unavailable',
        });
      }

      await redis.start(); // same port, empty data (no persistence)
      let status = 0;
      for (let i = 0; i < 60 && status !== 201; i++) {
        const res = await post(a, '/auth/challenge', { address: wallet.address });
        status = res.status;
        await res.arrayBuffer();
        if (status !== 201) await new Promise((r) => setTimeout(r, 250));
      }
      expect(status).toBe(201);
      // The old session died with the store's data: its token must not authenticate.
      expect((await getSession(b, s)).status).toBe(401);
      // A fresh sign-in across both instances works again.
      const again = await signIn(b, a, wallet);
      expect((await getSession(b, again)).status).toBe(200);
    });
  });
}
