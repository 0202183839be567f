import * as ecc from 'tiny-secp256k1';
import type { Secp256k1Backend } from '../backend.js';

/**
 * A backend on `tiny-secp256k1` (libsecp256k1 compiled to WebAssembly). Opt-in: install
 * `tiny-secp256k1` next to `@evrmore-auth/core`.
 *
 * @example
 * ```ts
 * import { verifyMessage } from '@evrmore-auth/core';
 * import { tinySecp256k1Backend } from '@evrmore-auth/core/backends/tiny-secp256k1';
 * verifyMessage({ address, message, signature, backend: tinySecp256k1Backend });
 * ```
 */
export const tinySecp256k1Backend: Secp256k1Backend = {
  name: 'tiny-secp256k1',
  recover(digest, signature, recovery, compressed) {
    try {
      return ecc.recover(digest, signature, recovery as 0 | 1 | 2 | 3, compressed);
    } catch {
      return null;
    }
  },
};
