// The one vector suite every secp256k1 backend must pass: the shared real-wallet vectors, the
// oracle-generated vectors (bitcoinjs-message), and the edge cases where implementations differ.
import * as secp from '@noble/secp256k1';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURVE_ORDER,
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  decodeWif,
  evrmore,
  evrmoreTestnet,
  messageDigest,
  nobleBackend,
  privateKeyToAddress,
  signMessage,
  verifyMessage,
  type Network,
  type Secp256k1Backend,
} from './index.js';
import { nativeBackend } from './backends/native.js';
import { tinySecp256k1Backend } from './backends/tiny-secp256k1.js';

interface SharedVector {
  source_repo: string;
  address: string;
  message: string;
  signature: string;
  expected_valid: boolean;
}
interface OracleVector {
  network: 'evrmore' | 'evrmore-testnet';
  privateKey: string;
  compressed: boolean;
  wif: string;
  publicKey: string;
  address: string;
  messageBytes: number;
  message: string;
  signature: string;
}

const readVectors = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../test/vectors/${name}`, import.meta.url), 'utf8')) as T;
const shared = readVectors<{ vectors: SharedVector[] }>('evrmore-signed-messages.json');
const oracle = readVectors<{ generator: string; version: string; vectors: OracleVector[] }>(
  'oracle-generated.json',
);
const networkOf = (name: string): Network => (name === 'evrmore' ? evrmore : evrmoreTestnet);

const require = createRequire(import.meta.url);
const bitcoinMessage = require('bitcoinjs-message') as {
  verify(message: string, address: string, signature: string, prefix: string): boolean;
};
const PREFIX = '\x18Evrmore Signed Message:\n';

const BACKENDS: Secp256k1Backend[] = [nobleBackend, tinySecp256k1Backend, nativeBackend];

const KEY_42 = '42'.repeat(32);
const ADDRESS_42 = 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5';
const SATORI_MESSAGE = 'Login to Satori: challenge-12345';
const SATORI_SIGNATURE =
  'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=';

function bigIntTo32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r, oldS, s1] = [a % m, m, 1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s1] = [s1, oldS - q * s1];
  }
  return ((oldS % m) + m) % m;
}
function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${bytesToHex(bytes)}`);
}

/** The same signature with s → n − s and the recovery parity flipped: still valid, high-S. */
function toHighS(signature: string): string {
  const bytes = base64ToBytes(signature)!;
  const s = bytesToBigInt(bytes.subarray(33));
  const out = bytes.slice();
  out.set(bigIntTo32(CURVE_ORDER - s), 33);
  const h = out[0]! - 27;
  out[0] = 27 + ((h & ~1) | ((h & 1) ^ 1));
  return bytesToBase64(out);
}

function withRS(signature: string, r: bigint | undefined, s: bigint | undefined): string {
  const bytes = base64ToBytes(signature)!;
  if (r !== undefined) bytes.set(bigIntTo32(r), 1);
  if (s !== undefined) bytes.set(bigIntTo32(s), 33);
  return bytesToBase64(bytes);
}

it('has at least 200 oracle vectors covering both networks, both key forms, > 252 bytes and non-ASCII', () => {
  expect(oracle.generator).toBe('bitcoinjs-message');
  const vs = oracle.vectors;
  expect(vs.length).toBeGreaterThanOrEqual(200);
  expect(new Set(vs.map((v) => v.network))).toEqual(new Set(['evrmore', 'evrmore-testnet']));
  expect(vs.some((v) => !v.compressed)).toBe(true);
  expect(vs.some((v) => v.messageBytes > 252)).toBe(true);
  expect(vs.some((v) => v.messageBytes === 0)).toBe(true);
  expect(vs.some((v) => [...v.message].some((c) => c.codePointAt(0)! > 0x7f))).toBe(true);
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))('backend %s', (_name, backend) => {
  describe('shared real-wallet vectors', () => {
    for (const v of shared.vectors) {
      it(`${v.source_repo} ${v.address} ${JSON.stringify(v.message.slice(0, 30))} → ${v.expected_valid}`, () => {
        const network = v.address.startsWith('E') ? evrmore : evrmoreTestnet;
        const r = verifyMessage({
          address: v.address,
          message: v.message,
          signature: v.signature,
          network,
          backend,
        });
        expect(r.valid).toBe(v.expected_valid);
      });
    }
  });

  it(`agrees with every oracle vector (${oracle.vectors.length}): byte-identical signature, verifies, tampering fails`, () => {
    for (const v of oracle.vectors) {
      const network = networkOf(v.network);
      const fromKey = signMessage({
        privateKey: v.privateKey,
        compressed: v.compressed,
        message: v.message,
        network,
      });
      expect(fromKey, v.address).toBe(v.signature);
      expect(signMessage({ wif: v.wif, message: v.message, network })).toBe(v.signature);
      expect(privateKeyToAddress(v.privateKey, { network, compressed: v.compressed })).toBe(
        v.address,
      );
      const ok = verifyMessage({
        address: v.address,
        message: v.message,
        signature: v.signature,
        network,
        backend,
      });
      expect(ok.valid, v.address).toBe(true);
      if (ok.valid) {
        expect(bytesToHex(ok.publicKey)).toBe(v.publicKey);
        expect(ok.compressed).toBe(v.compressed);
      }
      // One byte more, or the other network's magic-and-version, must fail.
      expect(
        verifyMessage({
          address: v.address,
          message: `${v.message}.`,
          signature: v.signature,
          network,
          backend,
        }).valid,
      ).toBe(false);
      const other = network === evrmore ? evrmoreTestnet : evrmore;
      expect(
        verifyMessage({
          address: v.address,
          message: v.message,
          signature: v.signature,
          network: other,
          backend,
        }),
      ).toMatchObject({ valid: false, reason: 'wrong_network' });
    }
  }, 120_000);

  it('verifies high-S signatures (s → n − s, parity flipped), as Evrmore Core does', () => {
    const high = toHighS(SATORI_SIGNATURE);
    expect(high).not.toBe(SATORI_SIGNATURE);
    const r = verifyMessage({
      address: ADDRESS_42,
      message: SATORI_MESSAGE,
      signature: high,
      backend,
    });
    expect(r.valid).toBe(true);
    for (const v of oracle.vectors.slice(0, 20)) {
      expect(
        verifyMessage({
          address: v.address,
          message: v.message,
          signature: toHighS(v.signature),
          network: networkOf(v.network),
          backend,
        }).valid,
      ).toBe(true);
    }
    // High-S without flipping the parity names another key: invalid, not a crash.
    const bytes = base64ToBytes(high)!;
    bytes[0] = 27 + ((bytes[0]! - 27) ^ 1);
    expect(
      verifyMessage({
        address: ADDRESS_42,
        message: SATORI_MESSAGE,
        signature: bytesToBase64(bytes),
        backend,
      }),
    ).toMatchObject({ valid: false, reason: 'invalid_signature' });
  });

  it('verifies uncompressed-key signatures against the uncompressed address only', () => {
    const uncompressedAddress = privateKeyToAddress(KEY_42, { compressed: false });
    const signature = signMessage({ privateKey: KEY_42, message: 'hi', compressed: false });
    expect(base64ToBytes(signature)![0]).toBeLessThanOrEqual(30);
    const r = verifyMessage({ address: uncompressedAddress, message: 'hi', signature, backend });
    expect(r).toMatchObject({ valid: true, compressed: false });
    if (r.valid) expect(r.publicKey.length).toBe(65);
    expect(verifyMessage({ address: ADDRESS_42, message: 'hi', signature, backend }).valid).toBe(
      false,
    );
  });

  it('refuses r or s equal to 0 or ≥ n before touching the curve', () => {
    for (const [r, s] of [
      [0n, undefined],
      [undefined, 0n],
      [CURVE_ORDER, undefined],
      [undefined, CURVE_ORDER],
      [2n ** 256n - 1n, undefined],
      [undefined, 2n ** 256n - 1n],
    ] as const) {
      expect(
        verifyMessage({
          address: ADDRESS_42,
          message: SATORI_MESSAGE,
          signature: withRS(SATORI_SIGNATURE, r, s),
          backend,
        }),
      ).toMatchObject({ valid: false, reason: 'invalid_signature_encoding' });
    }
  });

  it('returns null, never throws, for r that is no x coordinate and for recovery ids 2 and 3', () => {
    const digest = messageDigest(SATORI_MESSAGE);
    const rs = base64ToBytes(SATORI_SIGNATURE)!.slice(1);
    // x = 5 is not on secp256k1 (5³ + 7 = 132 is a non-residue mod p).
    const notOnCurve = rs.slice();
    notOnCurve.set(bigIntTo32(5n), 0);
    for (const compressed of [true, false]) {
      expect(backend.recover(digest, notOnCurve, 0, compressed)).toBeNull();
      expect(backend.recover(digest, notOnCurve, 1, compressed)).toBeNull();
      // recovery 2/3 means x = r + n, which exceeds p for this r: no point.
      expect(backend.recover(digest, rs, 2, compressed)).toBeNull();
      expect(backend.recover(digest, rs, 3, compressed)).toBeNull();
    }
    expect(
      verifyMessage({
        address: ADDRESS_42,
        message: SATORI_MESSAGE,
        signature: withRS(SATORI_SIGNATURE, 5n, undefined),
        backend,
      }),
    ).toMatchObject({ valid: false, reason: 'invalid_signature' });
  });

  it('returns null, never throws, when the recovered point is at infinity (s·R = e·G)', () => {
    // R = kG and s = e/k make Q = r⁻¹(sR − eG) the point at infinity: no public key.
    const digest = messageDigest(SATORI_MESSAGE);
    const e = bytesToBigInt(digest) % CURVE_ORDER;
    const k = 7n;
    const R = secp.Point.BASE.multiply(k).toAffine();
    const r = R.x % CURVE_ORDER;
    const s = (e * modInverse(k, CURVE_ORDER)) % CURVE_ORDER;
    const rs = new Uint8Array(64);
    rs.set(bigIntTo32(r), 0);
    rs.set(bigIntTo32(s), 32);
    const recovery = Number(R.y & 1n);
    for (const compressed of [true, false])
      expect(backend.recover(digest, rs, recovery, compressed)).toBeNull();
    // Control: the same r and s with the other R (−R) recover an ordinary key.
    expect(backend.recover(digest, rs, recovery ^ 1, true)).not.toBeNull();
    expect(
      verifyMessage({
        address: ADDRESS_42,
        message: SATORI_MESSAGE,
        signature: bytesToBase64(Uint8Array.of(31 + recovery, ...rs)),
        backend,
      }),
    ).toMatchObject({ valid: false, reason: 'invalid_signature' });
  });

  it('recovers exactly the key noble recovers, compressed and uncompressed', () => {
    for (const v of oracle.vectors.slice(0, 16)) {
      const digest = messageDigest(v.message, networkOf(v.network));
      const bytes = base64ToBytes(v.signature)!;
      const recovery = (bytes[0]! - 27) & 3;
      for (const compressed of [true, false]) {
        const expected = nobleBackend.recover(digest, bytes.slice(1), recovery, compressed);
        expect(expected).not.toBeNull();
        expect(backend.recover(digest, bytes.slice(1), recovery, compressed)).toEqual(expected);
      }
    }
  });
});

describe('differential: all backends give the same answer on arbitrary input', () => {
  it('recovery ids 2/3 (R.x = r + n) recover the same key everywhere, even when r is no x coordinate', () => {
    // r = 15 is no x coordinate, 15 + n is: libsecp256k1 and noble recover; tiny-secp256k1 2.x
    // alone refused it until the backend routed ids 2/3 to noble.
    const rs = new Uint8Array(64);
    rs.set(bigIntTo32(15n), 0);
    rs.set(bigIntTo32(1n), 32);
    for (const digest of [new Uint8Array(32), new Uint8Array(32).fill(1)])
      for (const compressed of [true, false]) {
        const keys = BACKENDS.map((b) => b.recover(digest, rs, 2, compressed));
        expect(keys[0]).not.toBeNull();
        expect(keys[1]).toEqual(keys[0]);
        expect(keys[2]).toEqual(keys[0]);
      }
  });

  it('recover(random digest, random r‖s in range, any recovery id, both forms) is equal or null for all', () => {
    const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        scalar,
        scalar,
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (digest, r, s, recovery, compressed) => {
          const rs = new Uint8Array(64);
          rs.set(bigIntTo32(r), 0);
          rs.set(bigIntTo32(s), 32);
          const [first, ...rest] = BACKENDS.map((b) => b.recover(digest, rs, recovery, compressed));
          for (const other of rest) expect(other).toEqual(first);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe('the oracle accepts our signatures (the other direction)', () => {
  it('bitcoinjs-message verifies signMessage output on fresh messages, both networks and key forms', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 40; i++) {
      const v = oracle.vectors[i]!;
      const network = networkOf(v.network);
      const { privateKey, compressed } = decodeWif(v.wif, network);
      const length = next() % 600;
      let message = '';
      for (let j = 0; j < length; j++)
        message += String.fromCodePoint(j % 7 === 0 ? 0x4e00 + (next() % 500) : 32 + (next() % 95));
      const signature = signMessage({ privateKey, compressed, message, network });
      expect(bitcoinMessage.verify(message, v.address, signature, PREFIX), message).toBe(true);
    }
  }, 60_000);
});

it('signs the shared 0x42 vector byte-identically to the Satori wallet', () => {
  expect(privateKeyToAddress(KEY_42)).toBe(ADDRESS_42);
  expect(signMessage({ privateKey: KEY_42, message: SATORI_MESSAGE })).toBe(SATORI_SIGNATURE);
});
