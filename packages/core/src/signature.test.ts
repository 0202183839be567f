import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from './encoding.js';
import { CURVE_ORDER, decodeSignature, encodeSignature } from './signature.js';

const SATORI =
  'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=';
const RS = base64ToBytes(SATORI)!.slice(1);
const withHeader = (header: number, rs: Uint8Array = RS): string => {
  const out = new Uint8Array(65);
  out[0] = header;
  out.set(rs, 1);
  return bytesToBase64(out);
};
const be32 = (v: bigint): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * (31 - i))) & 0xffn));

describe('decodeSignature', () => {
  it('decodes the Satori signature: header 32 = compressed, recovery 1', () => {
    const r = decodeSignature(SATORI);
    expect(r).toMatchObject({
      ok: true,
      signature: { header: 32, recovery: 1, keyForms: ['compressed'] },
    });
    if (r.ok) expect(r.signature.rs).toEqual(RS);
  });

  it('refuses anything that is not standard padded base64', () => {
    for (const bad of [
      'not-base64-@@@',
      SATORI.replace(/=$/, ''), // unpadded
      SATORI.replace(/\+/g, '-').replace(/\//g, '_'), // base64url
      ` ${SATORI}`,
      `${SATORI}\n`,
      'A'.repeat(201),
      42,
      null,
      undefined,
      {},
      base64ToBytes(SATORI),
    ]) {
      expect(decodeSignature(bad)).toMatchObject({ ok: false, reason: 'not_base64' });
    }
  });

  it('refuses a length other than 65 bytes', () => {
    for (const n of [0, 10, 64, 66, 72]) {
      const text = bytesToBase64(new Uint8Array(n).fill(31));
      expect(decodeSignature(text), String(n)).toMatchObject({
        ok: false,
        reason: 'wrong_length',
      });
    }
  });

  it('accepts headers 27–42 only', () => {
    for (const h of [0, 1, 26, 43, 44, 255]) {
      expect(decodeSignature(withHeader(h)), String(h)).toMatchObject({
        ok: false,
        reason: 'bad_header',
      });
    }
    for (let h = 27; h <= 42; h++) expect(decodeSignature(withHeader(h)).ok, String(h)).toBe(true);
  });

  it('maps each header to a recovery id and the key forms to try', () => {
    const forms = (h: number) => {
      const r = decodeSignature(withHeader(h));
      if (!r.ok) throw new Error(r.message);
      return [r.signature.recovery, r.signature.keyForms.join('+')];
    };
    expect([27, 28, 29, 30].map(forms)).toEqual([0, 1, 2, 3].map((i) => [i, 'uncompressed']));
    expect([31, 32, 33, 34].map(forms)).toEqual([0, 1, 2, 3].map((i) => [i, 'compressed']));
    // 35–38: Electrum's P2SH-P2WPKH (compressed) or Core's mask (uncompressed): both tried.
    expect([35, 36, 37, 38].map(forms)).toEqual(
      [0, 1, 2, 3].map((i) => [i, 'compressed+uncompressed']),
    );
    // 39–42: Electrum's P2WPKH; Core's mask says compressed too.
    expect([39, 40, 41, 42].map(forms)).toEqual([0, 1, 2, 3].map((i) => [i, 'compressed']));
  });

  it('refuses r or s equal to 0 or ≥ n', () => {
    const cases: [bigint, bigint][] = [
      [0n, 1n],
      [1n, 0n],
      [CURVE_ORDER, 1n],
      [1n, CURVE_ORDER],
      [CURVE_ORDER + 1n, 1n],
      [2n ** 256n - 1n, 2n ** 256n - 1n],
    ];
    for (const [r, s] of cases) {
      const rs = new Uint8Array(64);
      rs.set(be32(r), 0);
      rs.set(be32(s), 32);
      expect(decodeSignature(withHeader(31, rs))).toMatchObject({
        ok: false,
        reason: 'r_or_s_out_of_range',
      });
    }
    const edge = new Uint8Array(64);
    edge.set(be32(CURVE_ORDER - 1n), 0);
    edge.set(be32(1n), 32);
    expect(decodeSignature(withHeader(31, edge)).ok).toBe(true);
  });
});

describe('encodeSignature', () => {
  it('writes 27 + recovery + 4 when compressed, and round-trips', () => {
    expect(encodeSignature(RS, 1, true)).toBe(SATORI);
    const u = decodeSignature(encodeSignature(RS, 3, false));
    expect(u).toMatchObject({ ok: true, signature: { header: 30, recovery: 3 } });
  });

  it('throws TypeError on bad arguments', () => {
    expect(() => encodeSignature(new Uint8Array(63), 0, true)).toThrow(
      new TypeError('rs must be a 64-byte Uint8Array'),
    );
    expect(() => encodeSignature(RS, 4, true)).toThrow(new TypeError('recovery must be 0 to 3'));
  });
});
