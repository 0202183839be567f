import * as secp from '@noble/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { privateKeyToAddress } from './keys.js';
import { nobleBackend, type Secp256k1Backend } from './backend.js';
import { messageDigest } from './digest.js';
import { base64ToBytes, bytesToBase64 } from './encoding.js';
import { evrmore, evrmoreTestnet } from './networks.js';
import { signMessage } from './sign.js';
import { decodeSignature } from './signature.js';
import { verifyMessage } from './verify.js';

const KEY = '42'.repeat(32);
const ADDRESS = 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5';
const MESSAGE = 'Login to Satori: challenge-12345';
const SIGNATURE =
  'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=';

describe('verifyMessage', () => {
  it('verifies the Satori wallet vector and returns the compressed key', () => {
    const r = verifyMessage({ address: ADDRESS, message: MESSAGE, signature: SIGNATURE });
    expect(r).toMatchObject({ valid: true, compressed: true });
    if (r.valid) expect(r.publicKey.length).toBe(33);
  });

  it('accepts the message as bytes', () => {
    const bytes = new TextEncoder().encode(MESSAGE);
    expect(verifyMessage({ address: ADDRESS, message: bytes, signature: SIGNATURE }).valid).toBe(
      true,
    );
  });

  it('maps each failure onto its protocol code', () => {
    const base = { address: ADDRESS, message: MESSAGE, signature: SIGNATURE };
    expect(verifyMessage({ ...base, address: 'nope0' })).toMatchObject({
      valid: false,
      reason: 'invalid_address',
    });
    expect(verifyMessage({ ...base, network: evrmoreTestnet })).toMatchObject({
      valid: false,
      reason: 'wrong_network',
    });
    expect(verifyMessage({ ...base, signature: 'AAAA' })).toMatchObject({
      valid: false,
      reason: 'invalid_signature_encoding',
    });
    expect(verifyMessage({ ...base, message: `${MESSAGE} ` })).toMatchObject({
      valid: false,
      reason: 'invalid_signature',
    });
    const other = privateKeyToAddress('43'.repeat(32));
    expect(verifyMessage({ ...base, address: other })).toMatchObject({
      valid: false,
      reason: 'invalid_signature',
    });
  });

  it('never throws on garbage, including non-string fields', () => {
    const garbage = [
      undefined,
      null,
      0,
      1n,
      NaN,
      {},
      [],
      [ADDRESS],
      new Uint8Array(65),
      Symbol('s'),
      () => ADDRESS,
      '',
      '\u0000',
      'A'.repeat(100_000),
      { toString: () => ADDRESS },
    ];
    for (const address of [ADDRESS, ...garbage])
      for (const message of [MESSAGE, ...garbage])
        for (const signature of [SIGNATURE, ...garbage]) {
          if (address === ADDRESS && message === MESSAGE && signature === SIGNATURE) continue;
          const r = verifyMessage({ address, message, signature } as never);
          expect(r.valid).toBe(false);
        }
  });

  it('never throws and never accepts on random strings and random 65-byte signatures', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        fc.string(),
        (address, sig, message) => {
          const r1 = verifyMessage({ address, message, signature: bytesToBase64(sig) });
          const r2 = verifyMessage({ address: ADDRESS, message, signature: bytesToBase64(sig) });
          expect(r1.valid).toBe(false);
          expect(r2.valid).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifies a high-S signature (s → n − s, recovery parity flipped), as Evrmore Core does', () => {
    const bytes = base64ToBytes(SIGNATURE)!;
    const sig = secp.Signature.fromBytes(bytes.slice(1), 'compact');
    const high = new secp.Signature(sig.r, secp.Point.CURVE().n - sig.s);
    expect(high.hasHighS()).toBe(true);
    const out = new Uint8Array(65);
    out[0] = 27 + ((bytes[0]! - 27) ^ 1);
    out.set(high.toBytes('compact'), 1);
    expect(
      verifyMessage({ address: ADDRESS, message: MESSAGE, signature: bytesToBase64(out) }).valid,
    ).toBe(true);
  });

  it('verifies an uncompressed-key signature against the uncompressed address', () => {
    const address = privateKeyToAddress(KEY, { compressed: false });
    expect(address).not.toBe(ADDRESS);
    const signature = signMessage({ privateKey: KEY, message: MESSAGE, compressed: false });
    const r = verifyMessage({ address, message: MESSAGE, signature });
    expect(r).toMatchObject({ valid: true, compressed: false });
    if (r.valid) expect(r.publicKey.length).toBe(65);
  });

  it('headers 35–38 verify for a compressed key (Electrum) and for an uncompressed key (Core mask)', () => {
    const compressed = base64ToBytes(SIGNATURE)!; // header 32 = 31 + recovery 1
    compressed[0] = 35 + 1;
    expect(
      verifyMessage({ address: ADDRESS, message: MESSAGE, signature: bytesToBase64(compressed) })
        .valid,
    ).toBe(true);
    const uncompressedAddress = privateKeyToAddress(KEY, { compressed: false });
    const u = base64ToBytes(signMessage({ privateKey: KEY, message: MESSAGE, compressed: false }))!;
    const recovery = u[0]! - 27;
    u[0] = 35 + recovery;
    expect(
      verifyMessage({
        address: uncompressedAddress,
        message: MESSAGE,
        signature: bytesToBase64(u),
      }),
    ).toMatchObject({ valid: true, compressed: false });
    // 39–42 are compressed only: the uncompressed address does not verify.
    u[0] = 39 + recovery;
    expect(
      verifyMessage({ address: uncompressedAddress, message: MESSAGE, signature: bytesToBase64(u) })
        .valid,
    ).toBe(false);
  });

  it('regression: a backend that hashes the digest again (noble prehash default) must not validate', () => {
    signMessage({ privateKey: KEY, message: 'x' }); // installs noble's hash functions
    const hashesAgain: Secp256k1Backend = {
      name: 'noble with prehash',
      recover(digest, signature, recovery, compressed) {
        const recovered = new Uint8Array(65);
        recovered[0] = recovery;
        recovered.set(signature, 1);
        const key = secp.recoverPublicKey(recovered, digest); // prehash: true by default
        return compressed ? key : secp.Point.fromBytes(key).toBytes(false);
      },
    };
    // It recovers *a* valid key silently …
    const decoded = decodeSignature(SIGNATURE);
    if (!decoded.ok) throw new Error('vector');
    const wrongKey = hashesAgain.recover(messageDigest(MESSAGE), decoded.signature.rs, 1, true);
    expect(wrongKey).not.toBeNull();
    expect(wrongKey).not.toEqual(
      nobleBackend.recover(messageDigest(MESSAGE), decoded.signature.rs, 1, true),
    );
    // … which is not the signer's, so verification fails.
    expect(
      verifyMessage({
        address: ADDRESS,
        message: MESSAGE,
        signature: SIGNATURE,
        backend: hashesAgain,
      }).valid,
    ).toBe(false);
  });

  it("regression: noble's 'recovered' format (recovery byte first) is not a Bitcoin signature", () => {
    signMessage({ privateKey: KEY, message: 'x' });
    const recovered = secp.sign(messageDigest(MESSAGE), secp.etc.hexToBytes(KEY), {
      prehash: false,
      format: 'recovered',
    });
    expect(recovered[0]).toBeLessThan(4);
    expect(
      verifyMessage({ address: ADDRESS, message: MESSAGE, signature: bytesToBase64(recovered) }),
    ).toMatchObject({ valid: false, reason: 'invalid_signature_encoding' });
    expect(base64ToBytes(signMessage({ privateKey: KEY, message: MESSAGE }))![0]).toBe(
      27 + 4 + recovered[0]!,
    );
  });

  it('treats a backend that throws like one that finds no key', () => {
    const throwing: Secp256k1Backend = {
      name: 'throws',
      recover() {
        throw new Error('boom');
      },
    };
    expect(
      verifyMessage({
        address: ADDRESS,
        message: MESSAGE,
        signature: SIGNATURE,
        backend: throwing,
      }),
    ).toMatchObject({ valid: false, reason: 'invalid_signature' });
  });

  it('throws TypeError only for a programmer error (options not an object)', () => {
    expect(() => verifyMessage(undefined as never)).toThrow(TypeError);
    expect(evrmore.pubKeyHash).toBe(33);
  });
});
