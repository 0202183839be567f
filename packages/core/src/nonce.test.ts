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

  it('honours length and refuses lengths under 22 characters (128 bits) or above 256', () => {
    expect(generateNonce({ length: 22 })).toHaveLength(22);
    expect(generateNonce({ length: 256 })).toHaveLength(256);
    for (const length of [21, 0, 257, 1.5, NaN])
      expect(() => generateNonce({ length })).toThrow(
        new TypeError('nonce length must be an integer from 22 to 256'),
      );
  });

  it('maps bytes below 248 to ALPHABET[b % 62] and skips bytes ≥ 248 (rejection sampling)', () => {
    const calls: number[] = [];
    let next = 0;
    // Every byte value in turn: 0, 1, …, 255, 0, 1, …
    const randomBytes = (n: number): Uint8Array => {
      calls.push(n);
      return Uint8Array.from({ length: n }, () => next++ % 256);
    };
    const nonce = generateNonce({ length: 250, randomBytes });
    const expected = [...Array(248).keys(), 0, 1].map((b) => ALPHABET[b % 62]).join('');
    // 248…255 were skipped: the two characters after index 247 come from bytes 0 and 1 of the next cycle.
    expect(nonce).toBe(expected);
    expect(calls).toEqual([500]);
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
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => next++ % 256);
    const counts = new Map<string, number>();
    // 248 accepted bytes per 256: 50 nonces of 248 chars = exactly 200 of each character.
    for (let i = 0; i < 50; i++)
      for (const c of generateNonce({ length: 248, randomBytes }))
        counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    expect(new Set(counts.values())).toEqual(new Set([200]));
  });
});
