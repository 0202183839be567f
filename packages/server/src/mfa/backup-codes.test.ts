import { describe, expect, it } from 'vitest';
import { webRandomBytes } from '../crypto.js';
import {
  containsHash,
  generateBackupCodes,
  hashBackupCode,
  normalizeBackupCode,
} from './backup-codes.js';

describe('backup codes', () => {
  it('generates distinct codes of 16 characters in groups of four', () => {
    const codes = generateBackupCodes(webRandomBytes, 10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
  });

  it('uses every alphabet character without bias from the low five bits', () => {
    let i = 0;
    const codes = generateBackupCodes((n) => Uint8Array.from({ length: n }, () => i++ & 255), 2);
    expect(codes[0]).toBe('0123-4567-89ab-cdef');
    expect(codes[1]).toBe('ghjk-mnpq-rstv-wxyz');
  });

  it('normalizes what users type and refuses what cannot be a code', () => {
    expect(normalizeBackupCode(' ABCD-efgh 0123-4567 ')).toBe('abcdefgh01234567');
    expect(normalizeBackupCode('abcd-efgh-0123-456')).toBeNull();
    expect(normalizeBackupCode('abcd-efgh-0123-456u')).toBeNull(); // u is not in the alphabet
    expect(normalizeBackupCode('123456')).toBeNull();
  });

  it('hashes per address; equal typing variants hash alike; lookup is over every entry', async () => {
    const h1 = await hashBackupCode('Ealice', 'abcd-efgh-0123-4567');
    expect(h1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hashBackupCode('Ealice', 'ABCDEFGH01234567')).toBe(h1);
    expect(await hashBackupCode('Ebob', 'abcd-efgh-0123-4567')).not.toBe(h1);
    expect(await hashBackupCode('Ealice', 'nope')).toBeNull();
    expect(containsHash(['x', h1!, 'y'], h1!)).toBe(true);
    expect(containsHash(['x', 'y'], h1!)).toBe(false);
    expect(containsHash([], h1!)).toBe(false);
  });
});
