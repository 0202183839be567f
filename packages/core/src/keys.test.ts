import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import { decodeAddress } from './address.js';
import {
  decodeWif,
  encodeWif,
  generatePrivateKey,
  getPublicKey,
  privateKeyToAddress,
  toPrivateKeyBytes,
} from './keys.js';
import { evrmore, evrmoreTestnet } from './networks.js';

const KEY = toPrivateKeyBytes('42'.repeat(32));

describe('WIF', () => {
  it.each([
    [evrmore, true, /^[KL]/],
    [evrmore, false, /^5/],
    [evrmoreTestnet, true, /^c/],
    [evrmoreTestnet, false, /^9/],
  ])('round-trips on %o (compressed %s)', (network, compressed, prefix) => {
    const wif = encodeWif({ privateKey: KEY, compressed }, network);
    expect(wif).toMatch(prefix);
    expect(decodeWif(wif, network)).toEqual({ privateKey: KEY, compressed });
  });

  it('decodes the testnet WIF of the Evrmore Core functional test', () => {
    const { compressed } = decodeWif(
      'cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N',
      evrmoreTestnet,
    );
    expect(compressed).toBe(true);
  });

  it('refuses a WIF of the other network, a bad checksum, a bad length and a zero key', () => {
    const mainnet = encodeWif({ privateKey: KEY, compressed: true }, evrmore);
    expect(() => decodeWif(mainnet, evrmoreTestnet)).toThrow(
      new TypeError('wif is not a evrmore-testnet private key'),
    );
    expect(() => decodeWif(`${mainnet.slice(0, -1)}1`, evrmore)).toThrow(
      new TypeError('wif is not valid base58check'),
    );
    const long = bs58check.encode(Uint8Array.of(128, ...KEY, 1, 1));
    expect(() => decodeWif(long, evrmore)).toThrow(new TypeError('wif has a wrong length'));
    const zero = bs58check.encode(Uint8Array.of(128, ...new Uint8Array(32), 1));
    expect(() => decodeWif(zero, evrmore)).toThrow(TypeError);
    expect(() => decodeWif(42 as never)).toThrow(new TypeError('wif must be a string'));
  });
});

describe('keys', () => {
  it('derives the Satori vector address from 0x42…', () => {
    expect(privateKeyToAddress('42'.repeat(32))).toBe('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5');
    expect(privateKeyToAddress(KEY, { network: evrmoreTestnet })).toMatch(/^[mn]/);
  });

  it('gives 33- and 65-byte public keys', () => {
    expect(getPublicKey(KEY).length).toBe(33);
    expect(getPublicKey(KEY, false).length).toBe(65);
  });

  it('refuses bad private keys', () => {
    expect(() => toPrivateKeyBytes('zz'.repeat(32))).toThrow(TypeError);
    expect(() => toPrivateKeyBytes(new Uint8Array(31))).toThrow(TypeError);
    expect(() => toPrivateKeyBytes('ff'.repeat(32))).toThrow(TypeError); // ≥ n
  });

  it('generates valid, distinct private keys', () => {
    const a = generatePrivateKey();
    const b = generatePrivateKey();
    expect(a.length).toBe(32);
    expect(a).not.toEqual(b);
    expect(decodeAddress(privateKeyToAddress(a)).ok).toBe(true);
  });
});
