import { describe, expect, it } from 'vitest';
import { generateNonce } from './nonce.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

describe('generateNonce', () => {
  it('is 32 alphanumeric characters by default (≥ 128 bits) and differs each call', () => {
    const a = generateNonce();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(generateNonce()).not.toBe(a);
    expect(32 * Math.log2(62)).toBeGreaterThan(128);
  });

  it('honours length and refuses lengths under 22 characters (128 bits) or above 128 (the grammar)', () => {
    expect(generateNonce({ length: 22 })).toHaveLength(22);
    expect(generateNonce({ length: 128 })).toHaveLength(128);
    for (const length of [21, 0, 129, 256, 1.5, NaN])
      expect(() => generateNonce({ length })).toThrow(
        new TypeError('nonce length must be an integer from 22 to 128'),
      );
  });

  it('maps bytes below 248 to ALPHABET[b % 62] and skips bytes ≥ 248 (rejection sampling)', () => {
    const calls: number[] = [];
    let next = 200;
    // Every byte value in turn from 200: 200, 201, …, 255, 0, 1, …
    const randomBytes = (n: number): Uint8Array => {
      calls.push(n);
      return Uint8Array.from({ length: n }, () => next++ % 256);
    };
    const nonce = generateNonce({ length: 128, randomBytes });
    const bytes = [...Array(48).keys()].map((i) => 200 + i).concat([...Array(80).keys()]);
    // 248…255 were skipped: the 80 characters after byte 247 come from bytes 0…79.
    expect(nonce).toBe(bytes.map((b) => ALPHABET[b % 62]).join(''));
    expect(calls).toEqual([256]);
  });

  it('asks for more bytes when rejection leaves too few', () => {
    let round = 0;
    const randomBytes = (n: number): Uint8Array =>
      // First round: only rejected bytes; afterwards: all 'A'.
      new Uint8Array(n).fill(round++ === 0 ? 250 : 0);
    expect(generateNonce({ length: 22, randomBytes })).toBe('A'.repeat(22));
    expect(round).toBe(2);
  });

  it('refuses a random source that returns nothing instead of looping forever', () => {
    expect(() => generateNonce({ randomBytes: () => new Uint8Array(0) })).toThrow(
      new TypeError('randomBytes must return a non-empty Uint8Array'),
    );
    expect(() => generateNonce({ randomBytes: () => [1, 2, 3] as never })).toThrow(TypeError);
  });

  it('is uniform over the alphabet: every character equally often for a uniform byte stream', () => {
    let next = 0;
    // One byte per call, so no byte of the stream is drawn and left unused.
    const randomBytes = () => Uint8Array.of(next++ % 256);
    const counts = new Map<string, number>();
    // 248 accepted bytes per 256: 100 nonces of 124 chars = 50 cycles = exactly 200 of each.
    for (let i = 0; i < 100; i++)
      for (const c of generateNonce({ length: 124, randomBytes }))
        counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    expect(new Set(counts.values())).toEqual(new Set([200]));
    expect(next).toBe(50 * 256 - 8);
  });
});
