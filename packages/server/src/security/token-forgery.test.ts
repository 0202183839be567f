import { base64ToBytes, bytesToBase64Url, utf8ToBytes } from '@evrmore-auth/core';
import {
  CompactSign,
  SignJWT,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { createHarness, edJwk, problem, type Harness, type SignedIn } from '../../test/harness.js';

const b64u = (o: object): string => bytesToBase64Url(utf8ToBytes(JSON.stringify(o)));

function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = base64ToBytes(part + '='.repeat((4 - (part.length % 4)) % 4))!;
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

async function call(
  h: Harness,
  s: SignedIn,
  token: string,
): Promise<{ status: number; code: string }> {
  const res = await h.request('GET', '/auth/session', {
    headers: { ...s.authHeaders, authorization: `Bearer ${token}` },
  });
  const p = await problem(res);
  return { status: res.status, code: p.code };
}

async function signWith(
  key: Parameters<SignJWT['sign']>[0],
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

describe('access-token forgery', () => {
  it('alg none is token_invalid', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const token = `${b64u({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${b64u(claims)}.`;
    expect(await call(h, s, token)).toEqual({ status: 401, code: 'token_invalid' });
    expect(await call(h, s, `${token}x`)).toEqual({ status: 401, code: 'token_invalid' });
  });

  it('HS256 signed with the public key (HS/EdDSA confusion) is token_invalid', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const pub = (await h.auth.jwks()).keys[0]!;
    for (const secret of [
      utf8ToBytes(JSON.stringify(pub)),
      base64ToBytes(pub.x!.replace(/-/g, '+').replace(/_/g, '/') + '=')!,
    ]) {
      const token = await signWith(secret, { alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, claims);
      expect(await call(h, s, token)).toEqual({ status: 401, code: 'token_invalid' });
    }
  });

  it('HS256 server: a token claiming EdDSA/RS256 with the same kid is token_invalid', async () => {
    const h = await createHarness({ keys: [{ kid: 'hs', alg: 'HS256', secret: 'x'.repeat(32) }] });
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await signWith(privateKey, { alg: 'RS256', typ: 'at+jwt', kid: 'hs' }, claims);
    expect(await call(h, s, rs)).toEqual({ status: 401, code: 'token_invalid' });
    const ed = await importJWK(await edJwk(), 'EdDSA');
    expect(
      await call(h, s, await signWith(ed, { alg: 'EdDSA', typ: 'at+jwt', kid: 'hs' }, claims)),
    ).toEqual({ status: 401, code: 'token_invalid' });
    // and the JWKS never publishes the HS secret
    expect((await h.auth.jwks()).keys).toEqual([]);
  });

  it('a token signed by an unknown key (same kid, or another kid) is token_invalid', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const { privateKey } = await generateKeyPair('EdDSA');
    for (const kid of ['k1', 'k2', undefined]) {
      const header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt' };
      if (kid) header.kid = kid;
      expect(await call(h, s, await signWith(privateKey, header, claims))).toEqual({
        status: 401,
        code: 'token_invalid',
      });
    }
  });

  it('jku, x5u and embedded jwk headers are rejected even when the signature checks out', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const key = await importJWK(await edJwk(), 'EdDSA');
    const { kty, crv, x } = await edJwk();
    const extras: Record<string, unknown>[] = [
      { jku: 'https://evil.example/jwks.json' },
      { x5u: 'https://evil.example/cert.pem' },
      { jwk: { kty, crv, x } as JWK },
    ];
    for (const extra of extras) {
      const token = await signWith(
        key,
        { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1', ...extra },
        claims,
      );
      expect(await call(h, s, token)).toEqual({ status: 401, code: 'token_invalid' });
    }
    // control: the same key and claims without the extra header are accepted
    const control = await signWith(key, { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' }, claims);
    expect(
      (
        await h.request('GET', '/auth/session', {
          headers: { ...s.authHeaders, authorization: `Bearer ${control}` },
        })
      ).status,
    ).toBe(200);
  });

  it('a crit header is rejected even when the signature checks out', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const key = await importJWK(await edJwk(), 'EdDSA');
    const token = await new CompactSign(utf8ToBytes(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1', crit: ['ext'], ext: 1 })
      .sign(key, { crit: { ext: true } });
    expect(await call(h, s, token)).toEqual({ status: 401, code: 'token_invalid' });
  });

  it('ES256 keys sign and verify end to end; an EdDSA token with the ES256 kid is refused', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const h = await createHarness({
      keys: [{ kid: 'es', alg: 'ES256', privateKey: await exportJWK(privateKey) }],
    });
    const s = await h.signIn();
    expect(decodeProtectedHeader(s.tokens.accessToken)).toMatchObject({
      alg: 'ES256',
      typ: 'at+jwt',
      kid: 'es',
    });
    expect((await h.request('GET', '/auth/session', { headers: s.authHeaders })).status).toBe(200);
    const ed = await importJWK(await edJwk(), 'EdDSA');
    const forged = await signWith(
      ed,
      { alg: 'EdDSA', typ: 'at+jwt', kid: 'es' },
      payloadOf(s.tokens.accessToken),
    );
    expect(await call(h, s, forged)).toEqual({ status: 401, code: 'token_invalid' });
  });

  it('wrong typ, issuer or audience is token_invalid', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    const claims = payloadOf(s.tokens.accessToken);
    const key = await importJWK(await edJwk(), 'EdDSA');
    expect(
      await call(h, s, await signWith(key, { alg: 'EdDSA', typ: 'JWT', kid: 'k1' }, claims)),
    ).toEqual({ status: 401, code: 'token_invalid' });
    expect(
      await call(
        h,
        s,
        await signWith(
          key,
          { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' },
          { ...claims, iss: 'https://evil.example' },
        ),
      ),
    ).toEqual({ status: 401, code: 'token_invalid' });
    expect(
      await call(
        h,
        s,
        await signWith(
          key,
          { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' },
          { ...claims, aud: 'https://other.example' },
        ),
      ),
    ).toEqual({ status: 401, code: 'token_invalid' });
  });

  it('expired beyond the clock tolerance is token_expired; within it still valid', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    h.tick(15 * 60_000 + 29_000);
    expect((await h.request('GET', '/auth/session', { headers: s.authHeaders })).status).toBe(200);
    h.tick(2_000);
    expect(await call(h, s, s.tokens.accessToken)).toEqual({ status: 401, code: 'token_expired' });
  });

  it('a refresh token presented as a bearer token is token_invalid; no token is token_missing', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    expect(await call(h, s, s.refreshToken)).toEqual({ status: 401, code: 'token_invalid' });
    const res = await h.request('GET', '/auth/session', {
      headers: { cookie: s.authHeaders.cookie! },
    });
    expect((await problem(res)).code).toBe('token_missing');
    const basic = await h.request('GET', '/auth/session', {
      headers: { ...s.authHeaders, authorization: 'Basic Zm9vOmJhcg==' },
    });
    expect((await problem(basic)).code).toBe('token_invalid');
  });

  it('a revoked session stops its access token at once (token_revoked)', async () => {
    const h = await createHarness();
    const s = await h.signIn();
    await h.auth.revokeSession(s.tokens.session.id);
    expect(await call(h, s, s.tokens.accessToken)).toEqual({ status: 401, code: 'token_revoked' });
  });

  it('key rotation: a token of the retired-but-listed key verifies, the new key signs', async () => {
    const old = await createHarness();
    const s = await old.signIn();
    const oldPublic = { ...(await old.auth.jwks()).keys[0]! };
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const h = await createHarness({
      store: old.store,
      keys: [
        { kid: 'k2', alg: 'EdDSA', privateKey: await exportJWK(privateKey) },
        { kid: 'k1', alg: 'EdDSA', publicKey: oldPublic as JWK },
      ],
    });
    expect((await h.request('GET', '/auth/session', { headers: s.authHeaders })).status).toBe(200);
    expect((await h.auth.jwks()).keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
    const s2 = await h.signIn();
    expect(decodeProtectedHeader(s2.tokens.accessToken).kid).toBe('k2');
  });
});
