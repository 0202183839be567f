// The addon itself, not the package's main entry, which silently falls back to pure-JS elliptic
// when the addon cannot load: with this import a missing addon is an error, never a slow surprise.
import secp256k1 from 'secp256k1/bindings.js';
import type { Secp256k1Backend } from '../backend.js';

/**
 * A backend on the `secp256k1` native addon (libsecp256k1, Node only). `@evrmore-auth/server`
 * installs the addon as an optional dependency and uses this backend by default when it loads;
 * with core alone, install `secp256k1` next to it. The addon ships N-API prebuilds for common
 * platforms (else allow its build script). Importing this module throws if the addon cannot load.
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
