import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAddress, encodeAddress, evrmore, evrmoreTestnet } from '@evrmore-auth/core';
import { EvrmoreAuthClientError } from '../errors.js';
import { assertAddress } from './validate.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof EvrmoreAuthClientError ? err.code : 'not a client error';
  }
}

const hash = fc.uint8Array({ minLength: 20, maxLength: 20 });

describe('assertAddress (version check without SHA-256)', () => {
  it("accepts every P2PKH address core accepts, for the network's version only", () => {
    fc.assert(
      fc.property(hash, fc.integer({ min: 0, max: 255 }), (h, version) => {
        if (version === 0) h[0] = 0; // leading zero bytes: '1…' addresses
        const network = { ...evrmore, pubKeyHash: version, scriptHash: version === 92 ? 93 : 92 };
        const address = encodeAddress(h, network);
        expect(decodeAddress(address, network).ok).toBe(true);
        expect(assertAddress(address, network)).toBe(address);
        if (version !== evrmore.pubKeyHash && version !== evrmore.scriptHash)
          expect(codeOf(() => assertAddress(address))).toBe('wrong_network');
      }),
    );
  });

  it('names a Ravencoin or testnet address wrong_network and a P2SH one invalid_address', () => {
    const h = new Uint8Array(20).fill(7);
    expect(codeOf(() => assertAddress(encodeAddress(h, { ...evrmore, pubKeyHash: 60 })))).toBe(
      'wrong_network',
    );
    expect(codeOf(() => assertAddress(encodeAddress(h, evrmoreTestnet)))).toBe('wrong_network');
    expect(
      codeOf(() => assertAddress(encodeAddress(h, { ...evrmore, pubKeyHash: evrmore.scriptHash }))),
    ).toBe('invalid_address');
  });

  it('refuses what is not base58 of 25 bytes', () => {
    const good = encodeAddress(new Uint8Array(20).fill(1), evrmore);
    for (const bad of [
      '',
      'E',
      good.slice(0, -8),
      `1${good}`,
      `${good}1111`,
      good.replace(/.$/, '0'),
      good.replace(/.$/, 'l'),
      ` ${good}`,
      42,
      null,
    ])
      expect(codeOf(() => assertAddress(bad))).toBe('invalid_address');
  });
});
