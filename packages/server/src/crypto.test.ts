import { describe, expect, it } from 'vitest';
import {
  sha256Base64Url,
  sha256Base64UrlSync,
  timingSafeEqualString,
  webRandomBytes,
} from './crypto.js';

describe('webRandomBytes', () => {
  it('returns fresh arrays of the asked length, small and large', () => {
    for (const n of [0, 1, 12, 16, 32, 1024, 1025, 5000]) {
      const b = webRandomBytes(n);
      expect(b).toBeInstanceOf(Uint8Array);
      expect(b.length).toBe(n);
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(n);
    }
  });

  it('never hands out the same bytes twice', () => {
    const seen = new Set<string>();
    // 3,000 × 16 bytes = 48 KB.
    for (let i = 0; i < 3000; i++) seen.add(Buffer.from(webRandomBytes(16)).toString('hex'));
    expect(seen.size).toBe(3000);
  });

  it('looks uniformly random (each bit set about half the time)', () => {
    const bytes = webRandomBytes(1000);
    let ones = 0;
    for (const b of bytes) for (let k = 0; k < 8; k++) ones += (b >> k) & 1;
    // 8,000 bits: mean 4,000, standard deviation ~45; 10 sigma.
    expect(Math.abs(ones - 4000)).toBeLessThan(450);
  });
});

describe('sha256Base64Url', () => {
  it('is base64url(SHA-256(utf8)) with and without the synchronous path', async () => {
    const known = 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'; // SHA-256("abc")
    expect(await sha256Base64Url('abc')).toBe(known);
    expect(sha256Base64UrlSync('abc')).toBe(known);
    expect(await sha256Base64Url('é')).toBe(
      Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('é'))).toString(
        'base64url',
      ),
    );
  });
});

describe('timingSafeEqualString', () => {
  it('is string equality', () => {
    expect(timingSafeEqualString('abc', 'abc')).toBe(true);
    expect(timingSafeEqualString('abc', 'abd')).toBe(false);
    expect(timingSafeEqualString('abc', 'ab')).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(true);
    expect(timingSafeEqualString('é', 'e')).toBe(false);
  });
});
