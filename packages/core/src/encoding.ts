// Byte helpers that need no Buffer, so that core runs in browsers and workers; where the
// runtime has a Buffer (Node, Bun, Deno) base64 encoding goes through it, several times faster
// than btoa over binary strings (it is on every sign-in's path: tokens). Decoding always uses
// atob: its one caller decodes 88-character signatures, where atob and Buffer both take under
// 1 µs (next to a 2 ms signature recovery), and the browser client, which only decodes, then does
// not bundle the Buffer probe.
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes, hexToBytes, utf8ToBytes };

interface BufferLike {
  from(
    data: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(enc: string): string };
  from(data: string, encoding: string): Uint8Array;
}

/** The runtime's Buffer, when it has one that speaks base64 and base64url (probed at load). */
const NativeBuffer: BufferLike | null = /* @__PURE__ */ (() => {
  try {
    const B = (globalThis as { Buffer?: BufferLike }).Buffer;
    if (!B) return null;
    const probe = Uint8Array.of(251, 255);
    const ok =
      B.from(probe.buffer, 0, 2).toString('base64url') === '-_8' &&
      B.from(probe.buffer, 0, 2).toString('base64') === '+/8=' &&
      B.from('+/8=', 'base64')[1] === 255;
    return ok ? B : null;
  } catch {
    return null;
  }
})();

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
  if (NativeBuffer)
    return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
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
  if (NativeBuffer)
    return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
      'base64url',
    );
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
