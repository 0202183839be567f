import secp256k1 from 'secp256k1';
import type { Secp256k1Backend } from '../backend.js';

/**
 * A backend on the `secp256k1` native addon (libsecp256k1, Node only). Opt-in: install
 * `secp256k1` next to `@evrmore-auth/core` (with pnpm, allow its build script).
 *
 * @example
 * ```ts
 * import { verifyMessage } from '@evrmore-auth/core';
 * import { nativeBackend } from '@evrmore-auth/core/backends/native';
 * verifyMessage({ address, message, signature, backend: nativeBackend });
 * ```
 */
export const nativeBackend: Secp256k1Backend = {
  name: 'secp256k1 (native)',
  recover(digest, signature, recovery, compressed) {
    try {
      return secp256k1.ecdsaRecover(signature, recovery, digest, compressed);
    } catch {
      return null;
    }
  },
};
