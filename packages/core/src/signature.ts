import { base64ToBytes, bytesToBase64 } from './encoding.js';

/**
 * secp256k1 group order n.
 *
 * @example
 * ```ts
 * const highS = CURVE_ORDER - s; // the other valid s of an ECDSA signature
 * ```
 */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Why a signature string was refused before any curve arithmetic.
 *
 * @example
 * ```ts
 * const r = decodeSignature(text);
 * if (!r.ok && r.reason === 'bad_header') console.log(r.message);
 * ```
 */
export type SignatureErrorReason =
  'not_base64' | 'wrong_length' | 'bad_header' | 'r_or_s_out_of_range';

/**
 * A 65-byte compact signature, decoded.
 *
 * @example
 * ```ts
 * const r = decodeSignature(signature);
 * if (r.ok) r.signature.keyForms; // ['compressed']
 * ```
 */
export interface CompactSignature {
  /** The first byte, 27–42. */
  header: number;
  /** Recovery id 0–3. */
  recovery: number;
  /**
   * Key forms to try, in order. 27–30: uncompressed; 31–34: compressed; 39–42: compressed
   * (Electrum's P2WPKH headers; Core's mask agrees). 35–38: compressed as Electrum writes them
   * (P2SH-P2WPKH), and uncompressed as Evrmore Core's `(h-27)&4` mask reads them.
   *
   * Decision: for 35–38 both forms are tried, compressed first. This accepts exactly the union of
   * what Core and Electrum-style wallets accept, and it is safe: each form hashes to a different
   * HASH160, and the address still has to match the recovered key. A segwit address is never
   * accepted (only P2PKH addresses decode), so the header only selects the key serialisation.
   */
  keyForms: readonly ('compressed' | 'uncompressed')[];
  /** r ‖ s, 64 bytes. */
  rs: Uint8Array;
}

/**
 * The outcome of {@link decodeSignature}: the decoded signature, or why it was refused.
 *
 * @example
 * ```ts
 * const r: DecodeSignatureResult = decodeSignature('not base64');
 * r.ok; // false
 * ```
 */
export type DecodeSignatureResult =
  | {
      /** The signature decoded. */
      ok: true;
      /** Its recovery header, r and s. */
      signature: CompactSignature;
    }
  | {
      /** The signature did not decode. */
      ok: false;
      /** Why, as a stable reason code. */
      reason: SignatureErrorReason;
      /** Why, in words, safe to show. */
      message: string;
    };

const MESSAGES: Record<SignatureErrorReason, string> = {
  not_base64: 'signature is not standard base64',
  wrong_length: 'signature must decode to 65 bytes',
  bad_header: 'signature header byte must be 27 to 42',
  r_or_s_out_of_range: 'signature r and s must be in [1, n-1]',
};

function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

const MAX_SIGNATURE_TEXT = 200;

/**
 * Decode a base64 compact signature (`header ‖ r ‖ s`). Never throws on attacker input.
 *
 * @example
 * ```ts
 * const r = decodeSignature('IAK4Yn9Z…');
 * if (r.ok) r.signature.recovery; // 0..3
 * ```
 */
export function decodeSignature(text: unknown): DecodeSignatureResult {
  const bad = (reason: SignatureErrorReason): DecodeSignatureResult => ({
    ok: false,
    reason,
    message: MESSAGES[reason],
  });
  if (typeof text !== 'string' || text.length > MAX_SIGNATURE_TEXT) return bad('not_base64');
  const bytes = base64ToBytes(text);
  if (!bytes) return bad('not_base64');
  if (bytes.length !== 65) return bad('wrong_length');
  const header = bytes[0]!;
  if (header < 27 || header > 42) return bad('bad_header');
  const rs = bytes.slice(1);
  const r = bytesToBigInt(rs.subarray(0, 32));
  const s = bytesToBigInt(rs.subarray(32));
  if (r === 0n || s === 0n || r >= CURVE_ORDER || s >= CURVE_ORDER)
    return bad('r_or_s_out_of_range');
  const h = header - 27;
  const recovery = h & 3;
  let keyForms: CompactSignature['keyForms'];
  if (header <= 30) keyForms = ['uncompressed'];
  else if (header <= 34 || header >= 39) keyForms = ['compressed'];
  else keyForms = ['compressed', 'uncompressed'];
  return { ok: true, signature: { header, recovery, keyForms, rs } };
}

/**
 * Encode `rs` (64 bytes) with its recovery id as a base64 compact signature.
 *
 * @example
 * ```ts
 * encodeSignature(rs, 1, true); // base64 with header 32
 * ```
 */
export function encodeSignature(rs: Uint8Array, recovery: number, compressed: boolean): string {
  if (!(rs instanceof Uint8Array) || rs.length !== 64)
    throw new TypeError('rs must be a 64-byte Uint8Array');
  if (!Number.isInteger(recovery) || recovery < 0 || recovery > 3)
    throw new TypeError('recovery must be 0 to 3');
  const out = new Uint8Array(65);
  out[0] = 27 + recovery + (compressed ? 4 : 0);
  out.set(rs, 1);
  return bytesToBase64(out);
}
