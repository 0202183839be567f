import fc from 'fast-check';
import type * as Portable from './encoding.js';
import { describe, expect, it, vi } from 'vitest';
import { base64ToBytes, bytesEqual, bytesToBase64, bytesToBase64Url } from './encoding.js';

describe('base64', () => {
  it('round-trips any bytes and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64ToBytes(text)).toEqual(bytes);
        expect(bytesToBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
  });

  it('gives the same results without a Buffer (browsers, workers)', async () => {
    vi.resetModules();
    vi.stubGlobal('Buffer', undefined);
    let portable: typeof Portable;
    try {
      portable = await import('./encoding.js');
    } finally {
      vi.unstubAllGlobals();
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = portable.bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(portable.base64ToBytes(text)).toEqual(bytes);
        expect(portable.bytesToBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
    );
    for (const bad of ['AQI', 'AQI=\n', '-_8', 'AQI=='])
      expect(portable.base64ToBytes(bad), bad).toBeUndefined();
  });

  it('returns plain Uint8Arrays that do not share memory', () => {
    const a = base64ToBytes('AQID')!;
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(3);
    // A view into a larger buffer encodes only its own bytes.
    const big = Uint8Array.of(9, 1, 2, 3, 9);
    expect(bytesToBase64(big.subarray(1, 4))).toBe('AQID');
  });

  it('refuses everything but standard padded base64', () => {
    for (const bad of ['AQI', 'AQI=\n', 'A QI=', '-_8', 'AQ==AQ==', '====', 'AQI=='])
      expect(base64ToBytes(bad), bad).toBeUndefined();
    expect(base64ToBytes(42 as never)).toBeUndefined();
  });
});

describe('bytesEqual', () => {
  it('compares content and length', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});
