import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { messageDigest } from './digest.js';
import { decodeWif, toPrivateKeyBytes } from './keys.js';
import { evrmore, type Network } from './networks.js';
import { encodeSignature } from './signature.js';

/**
 * Options of {@link signMessage}: exactly one of `privateKey` and `wif`.
 *
 * @example
 * ```ts
 * const options: SignMessageOptions = { wif, message: 'hello', network: evrmoreTestnet };
 * signMessage(options);
 * ```
 */
export interface SignMessageOptions {
  /** 32 bytes or 64 hex characters. */
  privateKey?: Uint8Array | string;
  /** A WIF key of `network`; its compression flag decides the address form. */
  wif?: string;
  /** The message text (or bytes). */
  message: string | Uint8Array;
  /**
   * The network whose magic is signed under.
   * @default evrmore (mainnet)
   */
  network?: Network;
  /**
   * Whether the signature names the compressed public key (ignored with `wif`).
   * @default true
   */
  compressed?: boolean;
}

let hashesReady = false;
function ensureHashes(): void {
  if (hashesReady) return;
  // @noble/hashes 1.x types its output as Uint8Array<ArrayBufferLike>; the bytes are a fresh
  // Uint8Array over an ArrayBuffer, which is what @noble/secp256k1 3 types its hooks with.
  secp.hashes.sha256 = (msg) => sha256(msg) as Uint8Array<ArrayBuffer>;
  secp.hashes.hmacSha256 = (key, msg) => hmac(sha256, key, msg) as Uint8Array<ArrayBuffer>;
  hashesReady = true;
}

/**
 * Sign a message as Evrmore Core's `signmessage` does: RFC 6979 deterministic, low-S, base64 of
 * `header ‖ r ‖ s`. For tests, bots and demo wallets; real users sign in their wallet.
 *
 * @example
 * ```ts
 * import { signMessage } from '@evrmore-auth/core';
 * const signature = signMessage({ privateKey: '42'.repeat(32), message: 'Login to Satori: challenge-12345' });
 * ```
 */
export function signMessage(options: SignMessageOptions): string {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('signMessage: options must be an object');
  const network = options.network ?? evrmore;
  if ((options.privateKey === undefined) === (options.wif === undefined)) {
    throw new TypeError('signMessage: pass exactly one of privateKey and wif');
  }
  let privateKey: Uint8Array;
  let compressed: boolean;
  if (options.wif !== undefined) {
    ({ privateKey, compressed } = decodeWif(options.wif, network));
  } else {
    privateKey = toPrivateKeyBytes(options.privateKey!);
    compressed = options.compressed ?? true;
  }
  ensureHashes();
  const digest = messageDigest(options.message, network);
  // 'recovered' puts the recovery id FIRST (0..3), not Bitcoin's 27+ header: re-encode below.
  const recovered = secp.sign(digest, privateKey, {
    prehash: false,
    lowS: true,
    format: 'recovered',
  });
  return encodeSignature(recovered.slice(1), recovered[0]!, compressed);
}
