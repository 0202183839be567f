// The multi-instance scenarios, run once with Redis and once with Postgres as the shared store.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedJwk, startInstances, type Instance, type InstanceEnv } from './cluster.js';
import {
  getSession,
  newWallet,
  post,
  problemCode,
  readTokens,
  refresh,
  signIn,
  signedChallenge,
  type SignedIn,
} from './wallet-client.js';

/** A short grace window so the reuse scenario need not wait 10 s. */
const GRACE_SECONDS = 6;

/** Registers the scale scenarios for instances started with `env()`. */
export function multiInstanceScenarios(env: () => InstanceEnv, cleanup: () => Promise<void>): void {
  let nodes: Instance[] = [];
  let baseEnv: InstanceEnv;
  const node = (i: number) => nodes[i % nodes.length]!.url;

  beforeAll(async () => {
    baseEnv = { ...env(), AUTH_JWK: sharedJwk(), GRACE_SECONDS: String(GRACE_SECONDS) };
    nodes = await startInstances(3, baseEnv);
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await cleanup();
  });

  it('a challenge issued by one instance is verified by another', async () => {
    const s = await signIn(node(0), node(1), newWallet());
    const res = await getSession(node(2), s);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(s.sessionId);
  });

  it('200 concurrent submissions of one signed challenge across three instances: exactly one 200', async () => {
    const body = await signedChallenge(node(0), newWallet());
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await post(node(i), '/auth/verify', body);
        return { status: res.status, code: res.status === 200 ? 'ok' : await problemCode(res) };
      }),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // Every other submission finds the nonce already spent, on whichever instance it landed.
    expect(results.filter((r) => r.status !== 200)).toEqual(
      Array(199).fill({ status: 401, code: 'challenge_unknown' }),
    );
  });

  it('50 concurrent refreshes of one token across instances: grace rule, one live family', async () => {
    const s = await signIn(node(0), node(0), newWallet());
    const responses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await refresh(node(i), s.cookies);
        if (res.status !== 200) return { status: res.status, code: await problemCode(res) };
        const t = await readTokens(res, s.cookies);
        return { status: 200, tokens: t };
      }),
    );
    // Within the grace window every duplicate gets the same new token set.
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const tokenSets = responses.map((r) => (r as { tokens: SignedIn }).tokens);
    const refreshCookies = new Set(tokenSets.map((t) => JSON.stringify(t.cookies)));
    expect(refreshCookies.size).toBe(1);
    expect(new Set(tokenSets.map((t) => t.accessToken)).size).toBe(1);
    // Afterwards exactly one refresh token works: the new one; the family is still alive.
    const next = await refresh(node(1), tokenSets[0]!.cookies);
    expect(next.status).toBe(200);
    const after = await readTokens(next, tokenSets[0]!.cookies);
    expect((await getSession(node(2), after)).status).toBe(200);
  });

  it('an old refresh token after the grace window (its successor used) revokes the family on every instance', async () => {
    const s = await signIn(node(0), node(1), newWallet());
    const first = await refresh(node(1), s.cookies);
    expect(first.status).toBe(200);
    const second = await refresh(node(0), (await readTokens(first, s.cookies)).cookies);
    expect(second.status).toBe(200);
    const rotated = await readTokens(second, s.cookies);
    await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 500));
    const replay = await refresh(node(2), s.cookies);
    expect(replay.status).toBe(401);
    expect(await problemCode(replay)).toBe('refresh_reused');
    // The whole family is dead everywhere: the current refresh token and the access token.
    expect((await refresh(node(0), rotated.cookies)).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await getSession(node(i), rotated)).status).toBe(401);
  });

  it('revoking a session on one instance fails its access token on the others at once', async () => {
    const s = await signIn(node(0), node(1), newWallet());
    for (let i = 0; i < 3; i++) expect((await getSession(node(i), s)).status).toBe(200);
    const logout = await post(
      node(0),
      '/auth/logout',
      {},
      {
        authorization: `Bearer ${s.accessToken}`,
        cookie: Object.entries(s.cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      },
    );
    expect(logout.status).toBe(204);
    for (let i = 1; i < 3; i++) {
      const res = await getSession(node(i), s);
      expect(res.status).toBe(401);
    }
    const r = await refresh(node(2), s.cookies);
    expect(r.status).toBe(401);
  });

  it('restart: sessions and refresh tokens survive when every instance is replaced', async () => {
    const s = await signIn(node(0), node(1), newWallet());
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = await startInstances(3, baseEnv);
    expect((await getSession(node(1), s)).status).toBe(200);
    const r = await refresh(node(2), s.cookies);
    expect(r.status).toBe(200);
    const t = await readTokens(r, s.cookies);
    expect((await getSession(node(0), t)).status).toBe(200);
  });
}
