import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import type * as Portable from './hash.js';
import { describe, expect, it, vi } from 'vitest';
import { ripemd160, sha256 } from './hash.js';

describe('hash (native crypto.hash where present, else @noble/hashes)', () => {
  const inputs = [0, 1, 55, 56, 63, 64, 65, 200, 4096].map((n) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff),
  );

  it('gives the same bytes as @noble/hashes, as plain Uint8Arrays', () => {
    for (const data of inputs) {
      const s = sha256(data);
      const r = ripemd160(data);
      expect(s).toEqual(nobleSha256(data));
      expect(r).toEqual(nobleRipemd160(data));
      expect(Object.getPrototypeOf(s)).toBe(Uint8Array.prototype);
      expect(Object.getPrototypeOf(r)).toBe(Uint8Array.prototype);
    }
  });

  it('falls back to @noble/hashes where the runtime has no crypto.hash', async () => {
    vi.resetModules();
    const original = process.getBuiltinModule;
    const seen: string[] = [];
    process.getBuiltinModule = ((id: string) => {
      seen.push(id);
      return undefined;
    }) as typeof process.getBuiltinModule;
    let portable: typeof Portable;
    try {
      portable = await import('./hash.js');
    } finally {
      process.getBuiltinModule = original;
    }
    expect(seen).toContain('node:crypto');
    expect(portable.sha256).toBe(nobleSha256);
    expect(portable.ripemd160).toBe(nobleRipemd160);
  });

  it('returns a fresh array each call (callers may keep or change it)', () => {
    const a = sha256(inputs[1]!);
    a[0]! ^= 0xff;
    expect(sha256(inputs[1]!)).toEqual(nobleSha256(inputs[1]!));
  });
});
