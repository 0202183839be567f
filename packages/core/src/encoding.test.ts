import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
