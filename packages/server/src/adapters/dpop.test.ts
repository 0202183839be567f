// DPoP through every adapter over real HTTP: requireAuth (and authenticate with a fetch Request)
// match the proof against the URL the server received, behind a trusted proxy the https one.
import type { TokenResponse } from '@evrmore-auth/core';
import * as DPoP from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { createTestAuth, wallet } from '../../test/harness.js';
import { ADAPTERS, start, type AdapterName, type Running } from '../../test/adapter-servers.js';

const servers = new Map<AdapterName, { auth: EvrmoreAuth; server: Running }>();
beforeAll(async () => {
  for (const name of ADAPTERS) {
    // The peer (127.0.0.1) is a trusted proxy: its x-forwarded-proto decides the proof's scheme.
    const auth = await createTestAuth({
      dpop: { mode: 'allowed' },
      trustedProxies: ['127.0.0.1'],
      rateLimits: { enabled: false },
    });
    servers.set(name, { auth, server: await start(name, auth) });
  }
});
afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
});

describe.each(ADAPTERS)('DPoP through %s', (name) => {
  it('a bound token with its proof passes requireAuth; another URL, a replay, Bearer are refused', async () => {
    const { auth, server } = servers.get(name)!;
    const key = await DPoP.generateKeyPair('ES256');
    const w = wallet('5' + ADAPTERS.indexOf(name));
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const ch = await post('/auth/challenge', { address: w.address });
    const { message } = (await ch.json()) as { message: string };
    const vf = await post(
      '/auth/verify',
      { message, signature: w.sign(message) },
      { dpop: await DPoP.generateProof(key, `${server.url}/auth/verify`, 'POST') },
    );
    expect(vf.status).toBe(200);
    const tokens = (await vf.json()) as TokenResponse;
    expect(tokens.tokenType).toBe('DPoP');
    const fgp = vf.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${auth.config.cookies.fingerprintName}=`))!
      .split(';')[0]!;
    const me = (dpop: string, extra: Record<string, string> = {}, scheme = 'DPoP') =>
      fetch(`${server.url}/api/me`, {
        headers: { authorization: `${scheme} ${tokens.accessToken}`, cookie: fgp, dpop, ...extra },
      });
    const proof = (url: string) =>
      DPoP.generateProof(key, url, 'GET', undefined, tokens.accessToken);

    const good = await proof(`${server.url}/api/me`);
    const ok = await me(good);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { address: string }).address).toBe(w.address);

    const replay = await me(good);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe('dpop_proof_invalid');
    expect(replay.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"',
    );

    const elsewhere = await me(await proof(`${server.url}/api/admin`));
    expect(((await elsewhere.json()) as { code: string }).code).toBe('dpop_proof_invalid');

    const asBearer = await me(await proof(`${server.url}/api/me`), {}, 'Bearer');
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toBe(
      'DPoP error="invalid_token", algs="ES256 EdDSA"',
    );

    // Behind the trusted proxy that terminated TLS, the proof names the https URL.
    const httpsUrl = `${server.url.replace('http:', 'https:')}/api/me`;
    const proxied = await me(await proof(httpsUrl), { 'x-forwarded-proto': 'https' });
    expect(proxied.status).toBe(200);
    const plainUrl = await me(await proof(`${server.url}/api/me`), {
      'x-forwarded-proto': 'https',
    });
    expect(plainUrl.status).toBe(401);
  });
});
