import { readFileSync } from 'node:fs';
import { encodeWif, evrmore, hexToBytes } from '@evrmore-auth/core';
import { describe, expect, it } from 'vitest';
import { oneLineError, run } from './run.js';

interface RealVector {
  network: string;
  address: string;
  message: string;
  signature: string;
  wif_or_privkey_if_any: string | null;
  expected_valid: boolean;
}
interface OracleVector {
  network: string;
  wif: string;
  address: string;
  message: string;
  signature: string;
}
const vectorsDir = new URL('../../../test/vectors/', import.meta.url);
const real = (
  JSON.parse(readFileSync(new URL('evrmore-signed-messages.json', vectorsDir), 'utf8')) as {
    vectors: RealVector[];
  }
).vectors;
const oracle = (
  JSON.parse(readFileSync(new URL('oracle-generated.json', vectorsDir), 'utf8')) as {
    vectors: OracleVector[];
  }
).vectors;

// The real mainnet vector with its private key (a third-party wallet's test: 0x42 × 32, compressed).
const satori = real.find((v) => v.expected_valid && v.wif_or_privkey_if_any?.startsWith('hex:'))!;
const satoriWif = encodeWif(
  {
    privateKey: hexToBytes(/^hex:([0-9a-f]{64})/.exec(satori.wif_or_privkey_if_any!)![1]!),
    compressed: true,
  },
  evrmore,
);

describe('sign', () => {
  it('reproduces the real mainnet vector byte for byte (RFC 6979, like signmessage)', async () => {
    const r = await run(['sign', '--wif', satoriWif, '--message', satori.message]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${satori.signature}\n`);
  });

  it('reproduces oracle vectors, multi-line messages through --message-file -, WIF from EVRMORE_WIF', async () => {
    const multiLine = oracle.find((v) => v.message.includes('\n') && v.network === 'evrmore');
    const testnet = oracle.find((v) => v.network !== 'evrmore');
    for (const v of [oracle[0]!, multiLine!, testnet!]) {
      const r = await run(['sign', '--message-file', '-'], {
        input: v.message,
        env: { EVRMORE_WIF: v.wif },
      });
      expect(r.code, v.message).toBe(0);
      expect(r.stdout).toBe(`${v.signature}\n`);
    }
  });

  it('refuses a bad WIF without echoing it', async () => {
    const r = await run(['sign', '--wif', 'L1notAWifAtAllxyz', '--message', 'hi']);
    expect(r.code).toBe(2);
    expect(oneLineError(r)).toBe('evrmore-auth: --wif is not a valid WIF private key');
    expect(r.stderr).not.toContain('L1notAWif');
    const positional = await run(['sign', satoriWif, '--message', 'hi']);
    expect(positional.code).toBe(2);
    expect(oneLineError(positional)).toBe(
      'evrmore-auth: unexpected argument #1 (this command takes 0; see --help)',
    );
    const none = await run(['sign', '--message', 'hi'], { env: { EVRMORE_WIF: undefined } });
    expect(none.code).toBe(2);
    expect(oneLineError(none)).toBe('evrmore-auth: missing --wif (or EVRMORE_WIF)');
  });
});

describe('verify', () => {
  it('judges every real vector as Evrmore Core does: true/exit 0, or not valid', async () => {
    for (const v of real) {
      const r = await run([
        'verify',
        '--address',
        v.address,
        '--message',
        v.message,
        '--signature',
        v.signature,
      ]);
      if (v.expected_valid) {
        expect(r.code, v.message).toBe(0);
        expect(r.stdout).toBe('true\n');
      } else {
        // 1: `false`; 2: input Core rejects as an error (e.g. malformed base64).
        expect([1, 2], `${v.address} ${v.message}`).toContain(r.code);
        if (r.code === 1) expect(r.stdout).toBe('false\n');
        else oneLineError(r);
      }
    }
  });

  it('the testnet vector signed under the Ravencoin magic is false (exit 1), and says why in --json', async () => {
    const trap = real.find((v) => v.address.startsWith('m'))!;
    const r = await run([
      'verify',
      '--address',
      trap.address,
      '--message',
      trap.message,
      '--signature',
      trap.signature,
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      address: trap.address,
      network: 'testnet',
      reason: 'invalid_signature',
    });
  });

  it('a changed message is false; bad input is exit 2 with one line', async () => {
    const changed = await run([
      'verify',
      '--address',
      satori.address,
      '--message',
      `${satori.message}!`,
      '--signature',
      satori.signature,
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toBe('false\n');
    const badAddress = await run([
      'verify',
      '--address',
      'E123',
      '--message',
      'x',
      '--signature',
      satori.signature,
    ]);
    expect(badAddress.code).toBe(2);
    expect(oneLineError(badAddress)).toMatch(/^evrmore-auth: --address: /);
    const badBase64 = await run([
      'verify',
      '--address',
      satori.address,
      '--message',
      'x',
      '--signature',
      '@@@',
    ]);
    expect(badBase64.code).toBe(2);
    expect(oneLineError(badBase64)).toBe('evrmore-auth: --signature: malformed base64 encoding');
    const noSig = await run(['verify', '--address', satori.address, '--message', 'x']);
    expect(noSig.code).toBe(2);
    expect(oneLineError(noSig)).toBe('evrmore-auth: missing --signature (see --help)');
    const wrongNet = await run([
      'verify',
      '--address',
      satori.address,
      '--message',
      satori.message,
      '--signature',
      satori.signature,
      '--network',
      'testnet',
    ]);
    expect(wrongNet.code).toBe(2);
    oneLineError(wrongNet);
  });
});
