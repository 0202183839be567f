import { sha256 } from './hash.js';
import { compactSize, concatBytes, utf8ToBytes } from './encoding.js';
import { evrmore, type Network } from './networks.js';

/**
 * The 32-byte digest a wallet signs for `message`, exactly as Evrmore Core computes it:
 * SHA-256d(CompactSize(len(magic)) ‖ magic ‖ CompactSize(len(msg)) ‖ msg), lengths in UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { messageDigest, evrmore } from '@evrmore-auth/core';
 * const digest = messageDigest('hello', evrmore); // Uint8Array(32)
 * ```
 */
export function messageDigest(
  message: string | Uint8Array,
  network: Network = evrmore,
): Uint8Array {
  const prefix = utf8ToBytes(network.messagePrefix);
  const body = typeof message === 'string' ? utf8ToBytes(message) : message;
  if (!(body instanceof Uint8Array)) throw new TypeError('message must be a string or Uint8Array');
  return sha256(
    sha256(concatBytes(compactSize(prefix.length), prefix, compactSize(body.length), body)),
  );
}
