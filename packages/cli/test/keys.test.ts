import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oneLineError, run, runNode } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'evrmore-auth-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keys generate', () => {
  it('prints a private Ed25519 JWK by default, with today as kid, on stdout only', async () => {
    const r = await run(['keys', 'generate']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const jwk = JSON.parse(r.stdout);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk.kid).toBe(new Date().toISOString().slice(0, 10));
    expect(jwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A new key each time.
    const again = JSON.parse((await run(['keys', 'generate'])).stdout);
    expect(again.d).not.toBe(jwk.d);
  });

  it('--alg ES256 --format pem prints PKCS#8 that keys public turns into a P-256 JWKS', async () => {
    const pem = await run(['keys', 'generate', '--alg', 'ES256', '--format', 'pem']);
    expect(pem.code).toBe(0);
    expect(pem.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    const pub = await run(['keys', 'public', '--kid', 'p1'], { input: pem.stdout });
    expect(pub.code).toBe(0);
    const { keys } = JSON.parse(pub.stdout);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'p1', alg: 'ES256', use: 'sig' });
    expect(keys[0].d).toBeUndefined();
    // A PEM carries no kid.
    const noKid = await run(['keys', 'public'], { input: pem.stdout });
    expect(noKid.code).toBe(2);
    expect(oneLineError(noKid)).toContain('--kid');
  });

  it('--format env: a .env line the server starts from in production, with the JWKS keys public prints', async () => {
    const gen = await run(['keys', 'generate', '--format', 'env', '--kid', '2026-12']);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toMatch(
      /^AUTH_KEYS='\[\{"kid":"2026-12","alg":"EdDSA","privateKey":\{.+\}\}\]'\n$/,
    );
    const envFile = join(dir, '.env');
    writeFileSync(envFile, `# app settings\nPORT=3000\nFEATURES='{"beta":true}'\n${gen.stdout}`);
    // The README's snippet, under node --env-file, in production mode.
    const server = await runNode([
      `--env-file=${envFile}`,
      '--input-type=module',
      '-e',
      `import { createEvrmoreAuth } from '@evrmore-auth/server';
       const auth = createEvrmoreAuth({ domain: 'example.com', production: true,
         keys: JSON.parse(process.env.AUTH_KEYS) });
       await auth.ready();
       const res = await auth.handler(new Request('https://example.com/auth/jwks.json'), { ip: '127.0.0.1' });
       console.log(JSON.stringify(await res.json()));`,
    ]);
    expect(server.stderr).not.toMatch(/error|refus/i);
    expect(server.code).toBe(0);
    const served = JSON.parse(server.stdout.trim().split('\n').at(-1)!);
    const pub = await run(['keys', 'public', envFile]);
    expect(pub.code).toBe(0);
    const printed = JSON.parse(pub.stdout);
    expect(printed.keys[0].d).toBeUndefined();
    expect(printed).toEqual(served);
  });

  it('--format json prints one AUTH_KEYS entry; keys public takes an array of them (rotation)', async () => {
    const a = JSON.parse(
      (await run(['keys', 'generate', '--format', 'json', '--kid', 'new'])).stdout,
    );
    const b = JSON.parse(
      (await run(['keys', 'generate', '--format', 'json', '--alg', 'ES256', '--kid', 'old']))
        .stdout,
    );
    expect(Object.keys(a)).toEqual(['kid', 'alg', 'privateKey']);
    const pub = await run(['keys', 'public', '-'], { input: JSON.stringify([a, b]) });
    expect(pub.code).toBe(0);
    expect(
      JSON.parse(pub.stdout).keys.map((k: { kid: string; alg: string }) => [k.kid, k.alg]),
    ).toEqual([
      ['new', 'EdDSA'],
      ['old', 'ES256'],
    ]);
    const twice = await run(['keys', 'public'], { input: JSON.stringify([a, a]) });
    expect(twice.code).toBe(2);
    expect(oneLineError(twice)).toBe("evrmore-auth: kid 'new' appears twice");
  });

  it('refuses bad input with one line and exit 2', async () => {
    const alg = await run(['keys', 'generate', '--alg', 'RS256']);
    expect(alg.code).toBe(2);
    expect(oneLineError(alg)).toBe("evrmore-auth: --alg must be one of EdDSA, ES256 (got 'RS256')");
    expect(alg.stdout).toBe('');
    const kid = await run(['keys', 'generate', '--kid', 'has space']);
    expect(kid.code).toBe(2);
    oneLineError(kid);
    const notKeys = await run(['keys', 'public'], { input: '{"hello":1}' });
    expect(notKeys.code).toBe(2);
    expect(oneLineError(notKeys)).toBe(
      'evrmore-auth: stdin: expected a JWK, a key config or a JWKS',
    );
    const missing = await run(['keys', 'public', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(oneLineError(missing)).toMatch(/nope\.json: no such file$/);
  });
});
