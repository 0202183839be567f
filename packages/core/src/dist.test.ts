// The published build, not the sources: CJS and ESM entry points of every subpath load and verify.
// Needs `pnpm --filter @evrmore-auth/core build` first (the root `pnpm test` builds).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const VECTOR = {
  address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
  message: 'Login to Satori: challenge-12345',
  signature:
    'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=',
};
const run = (args: string[]): string =>
  execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' }).trim();

describe('dist', () => {
  it('exists (build core first)', () => {
    expect(existsSync(new URL('../dist/index.cjs', import.meta.url))).toBe(true);
  });

  it('require() works without require(esm) support (noble is bundled into the CJS build)', () => {
    const script = `
      const core = require('@evrmore-auth/core');
      const { tinySecp256k1Backend } = require('@evrmore-auth/core/backends/tiny-secp256k1');
      const { nativeBackend } = require('@evrmore-auth/core/backends/native');
      const v = ${JSON.stringify(VECTOR)};
      const out = [undefined, tinySecp256k1Backend, nativeBackend].map((backend) => core.verifyMessage({ ...v, backend }).valid);
      out.push(core.signMessage({ privateKey: '42'.repeat(32), message: v.message }) === v.signature);
      // tiny-secp256k1's recovery ids 2/3 go through the noble copy bundled into its CJS file.
      const rs = new Uint8Array(64); rs[31] = 15; rs[63] = 1;
      out.push(tinySecp256k1Backend.recover(new Uint8Array(32), rs, 2, true)?.length === 33);
      console.log(JSON.stringify(out));`;
    expect(run(['--no-experimental-require-module', '-e', script])).toBe(
      '[true,true,true,true,true]',
    );
  });

  it('import works for every subpath', () => {
    const script = `
      import { verifyMessage } from '@evrmore-auth/core';
      import { tinySecp256k1Backend } from '@evrmore-auth/core/backends/tiny-secp256k1';
      import { nativeBackend } from '@evrmore-auth/core/backends/native';
      const v = ${JSON.stringify(VECTOR)};
      console.log(JSON.stringify([undefined, tinySecp256k1Backend, nativeBackend].map((backend) => verifyMessage({ ...v, backend }).valid)));`;
    expect(run(['--input-type=module', '-e', script])).toBe('[true,true,true]');
  });
});
