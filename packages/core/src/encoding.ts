// Byte helpers without Buffer, so that core runs in browsers and workers.
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes, hexToBytes, utf8ToBytes };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decode standard, padded base64; `undefined` for anything that is not exactly that.
 *
 * @example
 * ```ts
 * base64ToBytes('AQID'); // Uint8Array [1, 2, 3]
 * base64ToBytes('AQID\n'); // undefined
 * ```
 */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !BASE64.test(text)) return undefined;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Encode bytes as standard, padded base64.
 *
 * @example
 * ```ts
 * bytesToBase64(Uint8Array.of(1, 2, 3)); // 'AQID'
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

/**
 * Encode bytes as unpadded base64url.
 *
 * @example
 * ```ts
 * bytesToBase64Url(Uint8Array.of(251, 255)); // '-_8'
 * ```
 */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Bitcoin's CompactSize unsigned integer encoding.
 *
 * @example
 * ```ts
 * compactSize(252); // Uint8Array [0xfc]
 * compactSize(253); // Uint8Array [0xfd, 0xfd, 0x00]
 * ```
 */
export function compactSize(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TypeError('compactSize: length must be a non-negative integer');
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >>> 8);
  if (n <= 0xffffffff)
    return Uint8Array.of(0xfe, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  const out = new Uint8Array(9);
  out[0] = 0xff;
  let v = BigInt(n);
  for (let i = 1; i < 9; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Constant-time equality of two byte arrays (length is not secret).
 *
 * @example
 * ```ts
 * bytesEqual(hash160(publicKey), expectedHash); // true or false, in constant time
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
