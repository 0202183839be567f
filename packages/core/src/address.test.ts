import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import {
  decodeAddress,
  encodeAddress,
  hash160,
  isValidAddress,
  publicKeyToAddress,
} from './address.js';
import { defineNetwork, evrmore, evrmoreTestnet } from './networks.js';
import { getPublicKey } from './keys.js';

const ADDRESS_42 = 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5';
const HASH = hash160(getPublicKey('42'.repeat(32)));
const withVersion = (version: number, hash: Uint8Array = HASH): string => {
  const payload = new Uint8Array(1 + hash.length);
  payload[0] = version;
  payload.set(hash, 1);
  return bs58check.encode(payload);
};

describe('decodeAddress', () => {
  it('decodes a mainnet P2PKH address to its version and hash160', () => {
    const r = decodeAddress(ADDRESS_42, evrmore);
    expect(r).toEqual({ ok: true, version: 33, hash160: HASH });
    expect(isValidAddress(ADDRESS_42)).toBe(true);
  });

  it('decodes a testnet address only on testnet', () => {
    const testnet = withVersion(111);
    expect(testnet).toMatch(/^[mn]/);
    expect(decodeAddress(testnet, evrmoreTestnet).ok).toBe(true);
    expect(decodeAddress(testnet, evrmore)).toMatchObject({ ok: false, reason: 'wrong_network' });
    expect(decodeAddress(ADDRESS_42, evrmoreTestnet)).toMatchObject({
      ok: false,
      reason: 'wrong_network',
      message: 'address is not an evrmore-testnet address',
    });
  });

  it('calls Ravencoin (60), Bitcoin (0) and any foreign-version address wrong_network', () => {
    for (const version of [0, 60, 5, 196, 200]) {
      expect(decodeAddress(withVersion(version), evrmore), String(version)).toMatchObject({
        ok: false,
        reason: 'wrong_network',
      });
    }
    expect(withVersion(60)).toMatch(/^R/);
  });

  it('refuses P2SH addresses of the network with p2sh_cannot_sign', () => {
    expect(decodeAddress(withVersion(92), evrmore)).toMatchObject({
      ok: false,
      reason: 'p2sh_cannot_sign',
    });
    expect(decodeAddress(withVersion(196), evrmoreTestnet)).toMatchObject({
      ok: false,
      reason: 'p2sh_cannot_sign',
    });
  });

  it('tells a bad checksum (a typo) from bad base58', () => {
    const typo = `${ADDRESS_42.slice(0, -1)}${ADDRESS_42.endsWith('6') ? '7' : '6'}`;
    expect(decodeAddress(typo)).toMatchObject({ ok: false, reason: 'invalid_checksum' });
    const swapped = `${ADDRESS_42.slice(0, 3)}${ADDRESS_42[4]}${ADDRESS_42[3]}${ADDRESS_42.slice(5)}`;
    expect(decodeAddress(swapped)).toMatchObject({ ok: false, reason: 'invalid_checksum' });
    for (const bad of [
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr0',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTrO',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTrl',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTrI',
      ' EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5\n',
      'EK4B-WWMPTW82ig57MyGk6JCJgT8D9JTr5',
    ]) {
      expect(decodeAddress(bad), JSON.stringify(bad)).toMatchObject({
        ok: false,
        reason: 'invalid_base58',
      });
    }
  });

  it('refuses unicode look-alikes of base58 characters', () => {
    // Cyrillic Е and К, fullwidth ５, Greek Τ: they look like the real address.
    for (const lookalike of [
      '\u0415K4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
      'E\u041a4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr\uff15',
      'EK4BfWWMPTW82ig57MyGk6JCJg\u03a48D9JTr5',
      'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5\u200b',
    ]) {
      expect(decodeAddress(lookalike)).toMatchObject({ ok: false, reason: 'invalid_base58' });
    }
  });

  it('refuses payloads that are not version ‖ 20 bytes, and absurd lengths, with invalid_length', () => {
    expect(decodeAddress(withVersion(33, new Uint8Array(19).fill(1)))).toMatchObject({
      ok: false,
      reason: 'invalid_length',
    });
    expect(decodeAddress(withVersion(33, new Uint8Array(21).fill(1)))).toMatchObject({
      ok: false,
      reason: 'invalid_length',
    });
    // A P2SH or foreign version with a wrong length is a length problem first.
    expect(decodeAddress(withVersion(92, new Uint8Array(32).fill(1)))).toMatchObject({
      reason: 'invalid_length',
    });
    expect(decodeAddress('')).toMatchObject({ ok: false, reason: 'invalid_length' });
    expect(decodeAddress('E'.repeat(65))).toMatchObject({ ok: false, reason: 'invalid_length' });
    expect(decodeAddress('1'.repeat(1_000_000))).toMatchObject({ reason: 'invalid_length' });
  });

  it('never throws on non-strings', () => {
    for (const value of [undefined, null, 42, {}, [], new Uint8Array(25), Symbol('x'), 10n]) {
      expect(decodeAddress(value)).toMatchObject({ ok: false, reason: 'not_a_string' });
      expect(isValidAddress(value)).toBe(false);
    }
  });

  it('gives each reason its own human message', () => {
    const messages = new Set(
      [
        decodeAddress(42),
        decodeAddress(''),
        decodeAddress('0'),
        decodeAddress(ADDRESS_42.slice(0, -1) + '6'),
        decodeAddress(withVersion(92)),
        decodeAddress(withVersion(0)),
      ].map((r) => (r.ok ? 'ok' : r.message)),
    );
    expect(messages.size).toBe(6);
  });

  it('works for a custom network', () => {
    const ravencoin = defineNetwork({
      name: 'ravencoin',
      chainId: 'ravencoin:mainnet',
      messagePrefix: 'Raven Signed Message:\n',
      pubKeyHash: 60,
      scriptHash: 122,
      wif: 128,
    });
    expect(decodeAddress(withVersion(60), ravencoin).ok).toBe(true);
    expect(decodeAddress(ADDRESS_42, ravencoin)).toMatchObject({ reason: 'wrong_network' });
    expect(decodeAddress(withVersion(122), ravencoin)).toMatchObject({
      reason: 'p2sh_cannot_sign',
    });
  });
});

describe('encodeAddress / publicKeyToAddress', () => {
  it('round-trips with decodeAddress on both networks', () => {
    expect(encodeAddress(HASH, evrmore)).toBe(ADDRESS_42);
    const t = encodeAddress(HASH, evrmoreTestnet);
    expect(decodeAddress(t, evrmoreTestnet)).toEqual({ ok: true, version: 111, hash160: HASH });
    expect(publicKeyToAddress(getPublicKey('42'.repeat(32)))).toBe(ADDRESS_42);
  });

  it('throws TypeError on a wrong-size hash or key', () => {
    expect(() => encodeAddress(new Uint8Array(19))).toThrow(
      new TypeError('pubKeyHash must be a 20-byte Uint8Array'),
    );
    expect(() => publicKeyToAddress(new Uint8Array(32))).toThrow(TypeError);
  });
});
