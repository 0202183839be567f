import { decodeAddress } from './address.js';
import { hash160 } from './address.js';
import { nobleBackend, type Secp256k1Backend } from './backend.js';
import { messageDigest } from './digest.js';
import { bytesEqual } from './encoding.js';
import { evrmore, type Network } from './networks.js';
import { decodeSignature } from './signature.js';

/**
 * Options of {@link verifyMessage}.
 *
 * @example
 * ```ts
 * const options: VerifyMessageOptions = { address, message, signature, network: evrmoreTestnet };
 * verifyMessage(options);
 * ```
 */
export interface VerifyMessageOptions {
  /** The P2PKH address that should have signed. */
  address: string;
  /** The exact message text (or bytes) that was signed. */
  message: string | Uint8Array;
  /** Base64 compact signature, as `signmessage` and wallets produce it. */
  signature: string;
  /**
   * The network whose magic and address versions apply.
   * @default evrmore (mainnet)
   */
  network?: Network;
  /**
   * The secp256k1 implementation.
   * @default nobleBackend (`@noble/secp256k1`)
   */
  backend?: Secp256k1Backend;
}

/**
 * Why a signature did not verify; maps onto the protocol's error codes.
 *
 * @example
 * ```ts
 * const r = verifyMessage({ address, message, signature });
 * if (!r.valid) throw new EvrmoreAuthError(r.reason, { detail: r.message });
 * ```
 */
export type VerifyFailureReason =
  'invalid_address' | 'wrong_network' | 'invalid_signature_encoding' | 'invalid_signature';

/**
 * The outcome of {@link verifyMessage}.
 *
 * @example
 * ```ts
 * const r: VerifyMessageResult = verifyMessage({ address, message, signature });
 * if (r.valid) r.publicKey; // SEC1 bytes of the signer
 * ```
 */
export type VerifyMessageResult =
  | {
      /** The signature is the address's owner's signature of the message. */
      valid: true;
      /** The recovered public key (33 bytes compressed, 65 uncompressed). */
      publicKey: Uint8Array;
      /** Whether the signature's header names a compressed key. */
      compressed: boolean;
    }
  | {
      /** The signature does not verify. */
      valid: false;
      /** Why, as a stable reason code. */
      reason: VerifyFailureReason;
      /** Why, in words, safe to log. */
      message: string;
    };

/**
 * Verify an Evrmore signed message the way Evrmore Core's `verifymessage` does. Never throws on
 * attacker input: bad base64, wrong length, a header outside 27–42, r or s out of range, a point
 * not on the curve or a different signer all come back as `{ valid: false, reason, message }`.
 * High-S signatures and uncompressed keys verify, as in Evrmore Core.
 *
 * @example
 * ```ts
 * import { verifyMessage } from '@evrmore-auth/core';
 * const result = verifyMessage({
 *   address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
 *   message: 'Login to Satori: challenge-12345',
 *   signature: 'IAK4Yn9ZzIxqjsEcYR0QQqdHKEd4ppRliPpw+q1RqaQNVO51GbchvDyFMjBfGMqC6Gp4Cv+1ogRXjWL+UVLH22o=',
 * });
 * result.valid; // true
 * ```
 */
export function verifyMessage(options: VerifyMessageOptions): VerifyMessageResult {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('verifyMessage: options must be an object');
  const network = options.network ?? evrmore;
  const backend = options.backend ?? nobleBackend;

  const address = decodeAddress(options.address, network);
  if (!address.ok) {
    return {
      valid: false,
      reason: address.reason === 'wrong_network' ? 'wrong_network' : 'invalid_address',
      message: address.message,
    };
  }
  const decoded = decodeSignature(options.signature);
  if (!decoded.ok)
    return { valid: false, reason: 'invalid_signature_encoding', message: decoded.message };
  if (typeof options.message !== 'string' && !(options.message instanceof Uint8Array)) {
    return { valid: false, reason: 'invalid_signature', message: 'message must be a string' };
  }

  const { recovery, rs, keyForms } = decoded.signature;
  const digest = messageDigest(options.message, network);
  for (const form of keyForms) {
    const compressed = form === 'compressed';
    let publicKey: Uint8Array | null;
    try {
      publicKey = backend.recover(digest, rs, recovery, compressed);
    } catch {
      publicKey = null; // a custom backend that throws must not turn attacker input into a 500
    }
    if (publicKey && bytesEqual(hash160(publicKey), address.hash160)) {
      return { valid: true, publicKey, compressed };
    }
  }
  return {
    valid: false,
    reason: 'invalid_signature',
    message: 'signature does not match the address and message',
  };
}
