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

  async function withRuntime(
    builtin: (id: string) => unknown,
    run: (m: typeof Portable) => void,
  ): Promise<void> {
    vi.resetModules();
    const original = process.getBuiltinModule;
    process.getBuiltinModule = builtin as typeof process.getBuiltinModule;
    try {
      // The runtime is consulted on first use, so use it while the stub is in place.
      run(await import('./hash.js'));
    } finally {
      process.getBuiltinModule = original;
    }
  }

  it('falls back to @noble/hashes where the runtime has no crypto.hash', async () => {
    const seen: string[] = [];
    await withRuntime(
      (id) => {
        seen.push(id);
        return undefined;
      },
      (m) => {
        for (const data of inputs) {
          expect(m.sha256(data)).toEqual(nobleSha256(data));
          expect(m.ripemd160(data)).toEqual(nobleRipemd160(data));
        }
      },
    );
    expect(seen).toContain('node:crypto');
  });

  it('does not use a runtime hash that disagrees with @noble/hashes (or throws)', async () => {
    const calls: string[] = [];
    await withRuntime(
      () => ({
        hash: (algorithm: string) => {
          calls.push(algorithm);
          if (algorithm === 'ripemd160') throw new Error('digest method not supported');
          return new Uint8Array(32); // wrong bytes
        },
      }),
      (m) => {
        for (const data of inputs) {
          expect(m.sha256(data)).toEqual(nobleSha256(data));
          expect(m.ripemd160(data)).toEqual(nobleRipemd160(data));
        }
      },
    );
    // Probed once per algorithm, then never called again.
    expect(calls).toEqual(['sha256', 'ripemd160']);
  });

  it('returns a fresh array each call (callers may keep or change it)', () => {
    const a = sha256(inputs[1]!);
    a[0]! ^= 0xff;
    expect(sha256(inputs[1]!)).toEqual(nobleSha256(inputs[1]!));
  });
});
