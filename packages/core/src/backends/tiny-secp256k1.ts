import * as ecc from 'tiny-secp256k1';
import { nobleBackend, type Secp256k1Backend } from '../backend.js';

/**
 * A backend on `tiny-secp256k1` (libsecp256k1 compiled to WebAssembly). Opt-in: install
 * `tiny-secp256k1` next to `@evrmore-auth/core`.
 *
 * Recovery ids 2 and 3 (R.x = r + n, probability about 2⁻¹²⁸ in real signatures) go to the noble
 * backend: tiny-secp256k1 2.x checks that r itself is an x coordinate before recovering, so it
 * refuses some signatures that libsecp256k1, Evrmore Core and the other backends accept. The
 * differential test in `vectors.test.ts` found this; all backends now answer identically.
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
    if (recovery & 2) return nobleBackend.recover(digest, signature, recovery, compressed);
    try {
      return ecc.recover(digest, signature, recovery as 0 | 1, compressed);
    } catch {
      return null;
    }
  },
};
