// The rotation procedure of packages/server/README.md ("Key rotation"), with keys made by the CLI:
// generate → add second → promote first → retire, on servers sharing one store (a rolling deploy).
import { privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import { createEvrmoreAuth, createMemoryStore, type KeyConfig } from '@evrmore-auth/server';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

const privateKey = '42'.repeat(32);
const address = privateKeyToAddress(privateKey);
const ip = '203.0.113.7';

async function generate(kid: string, alg: string): Promise<KeyConfig> {
  const r = await run(['keys', 'generate', '--format', 'json', '--kid', kid, '--alg', alg]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as KeyConfig;
}

describe('key rotation with keys generate / keys public', () => {
  it('old tokens verify until the old key is retired; the JWKS is what keys public prints', async () => {
    const store = createMemoryStore();
    const server = async (keys: KeyConfig[]) => {
      const auth = createEvrmoreAuth({
        domain: 'example.com',
        production: true,
        keys: JSON.parse(JSON.stringify(keys)) as KeyConfig[], // as from AUTH_KEYS
        store,
      });
      await auth.ready();
      const signIn = async () => {
        const { message } = await auth.issueChallenge(address, { ip });
        const result = await auth.signIn(message, signMessage({ privateKey, message }), { ip });
        if (!('tokens' in result)) throw new Error('unexpected MFA');
        const fgp = result.setCookies.find((c) => c.startsWith('__Host-evrmore-fgp='))!;
        return {
          kid: decodeProtectedHeader(result.tokens.accessToken).kid,
          headers: new Headers({
            authorization: `Bearer ${result.tokens.accessToken}`,
            cookie: fgp.split(';', 1)[0]!,
          }),
        };
      };
      const accepts = (token: { headers: Headers }) =>
        auth.authenticate({ headers: token.headers }).then(
          () => true,
          (err: { code?: string }) => {
            expect(err.code).toBe('token_invalid');
            return false;
          },
        );
      const jwks = await auth.jwks();
      const printed = await run(['keys', 'public'], { input: JSON.stringify(keys) });
      expect(JSON.parse(printed.stdout)).toEqual(jwks);
      return { signIn, accepts, kids: jwks.keys.map((k) => k.kid) };
    };

    const old = await generate('2026-12', 'EdDSA');
    const before = await server([old]);
    const oldToken = await before.signIn();
    expect(oldToken.kid).toBe('2026-12');

    const next = await generate('2027-01', 'ES256');
    // 2. Added second: published, not signing yet.
    const added = await server([old, next]);
    expect(added.kids).toEqual(['2026-12', '2027-01']);
    expect((await added.signIn()).kid).toBe('2026-12');
    expect(await added.accepts(oldToken)).toBe(true);

    // 3. Promoted: signs; the old key's tokens still verify.
    const promoted = await server([next, old]);
    const newToken = await promoted.signIn();
    expect(newToken.kid).toBe('2027-01');
    expect(await promoted.accepts(oldToken)).toBe(true);
    expect(await added.accepts(newToken)).toBe(true); // an instance still on step 2
    expect(await before.accepts(newToken)).toBe(false); // why step 2 comes first

    // 4. Retired: the old key's tokens stop verifying, the new ones keep working.
    const retired = await server([next]);
    expect(retired.kids).toEqual(['2027-01']);
    expect(await retired.accepts(oldToken)).toBe(false);
    expect(await retired.accepts(newToken)).toBe(true);
  });
});
