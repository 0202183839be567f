import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createProofKeys } from './proof-keys.js';

describe('proof keys', () => {
  it('imports a public key once (same entry), refuses private, symmetric and mismatched keys', async () => {
    const keys = createProofKeys(2);
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const first = await keys.get({ ...jwk, use: 'sig' }, 'ES256');
    expect(first?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await keys.get(jwk, 'ES256')).toBe(first);
    expect(await keys.get(await exportJWK(pair.privateKey), 'ES256')).toBeNull();
    expect(await keys.get({ kty: 'oct', k: 'AAAA' }, 'HS256')).toBeNull();
    expect(await keys.get(jwk, 'EdDSA')).toBeNull();
    for (const bad of [null, 'jwk', [jwk], { kty: 'EC', crv: 'P-256', x: 1, y: 2 }])
      expect(await keys.get(bad, 'ES256')).toBeNull();
  });

  it('stays bounded: the least recently used key is imported again after others', async () => {
    const keys = createProofKeys(2);
    const jwks = await Promise.all(
      [1, 2, 3].map(async () => exportJWK((await generateKeyPair('ES256')).publicKey)),
    );
    const first = await keys.get(jwks[0], 'ES256');
    await keys.get(jwks[1], 'ES256');
    await keys.get(jwks[2], 'ES256');
    const again = await keys.get(jwks[0], 'ES256');
    expect(again).not.toBe(first);
    expect(again?.jkt).toBe(first?.jkt);
  });
});
