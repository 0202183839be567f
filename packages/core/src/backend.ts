import * as secp from '@noble/secp256k1';

/**
 * The one operation verification needs from a secp256k1 implementation. Implementations receive
 * input already checked (32-byte digest, r and s in [1, n-1], recovery 0..3) and return the SEC1
 * public key, or `null` when no valid key can be recovered. They must not hash the digest again.
 *
 * @example
 * ```ts
 * import { verifyMessage } from '@evrmore-auth/core';
 * import { nativeBackend } from '@evrmore-auth/core/backends/native';
 * verifyMessage({ address, message, signature, backend: nativeBackend() });
 * ```
 */
export interface Secp256k1Backend {
  /** A name for benchmarks and logs. */
  readonly name: string;
  /**
   * Recover the public key that made `signature` (64 bytes, r ‖ s) over `digest`.
   * @param compressed - return the 33-byte compressed form, else the 65-byte uncompressed one.
   */
  recover(
    digest: Uint8Array,
    signature: Uint8Array,
    recovery: number,
    compressed: boolean,
  ): Uint8Array | null;
}

/**
 * `@noble/secp256k1`: pure JavaScript, audited, works everywhere. The default of `verifyMessage`,
 * and of `@evrmore-auth/server` wherever the `secp256k1` native addon does not load.
 *
 * @example
 * ```ts
 * verifyMessage({ address, message, signature, backend: nobleBackend });
 * ```
 */
export const nobleBackend: Secp256k1Backend = {
  name: '@noble/secp256k1',
  recover(digest, signature, recovery, compressed) {
    try {
      const recovered = new Uint8Array(65);
      recovered[0] = recovery;
      recovered.set(signature, 1);
      // prehash: false — the digest is already SHA-256d; noble would otherwise hash it again and
      // silently recover a different (valid-looking) key.
      return secp.recoverPublicKey(recovered, digest, { prehash: false, isCompressed: compressed });
    } catch {
      return null;
    }
  },
};
