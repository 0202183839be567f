import bs58check from 'bs58check';
import * as secp from '@noble/secp256k1';
import { publicKeyToAddress } from './address.js';
import { hexToBytes } from './encoding.js';
import { evrmore, type Network } from './networks.js';

/**
 * A private key with the key form its address uses.
 *
 * @example
 * ```ts
 * const key: PrivateKey = { privateKey: generatePrivateKey(), compressed: true };
 * encodeWif(key, evrmore);
 * ```
 */
export interface PrivateKey {
  /** 32 bytes. */
  privateKey: Uint8Array;
  /** Whether the public key (and so the address) uses the compressed form. */
  compressed: boolean;
}

/**
 * Decode a WIF private key of `network`. Throws `TypeError` with an exact message when it is not one.
 *
 * @example
 * ```ts
 * const { privateKey, compressed } = decodeWif('L5Lf9YAQ…', evrmore);
 * ```
 */
export function decodeWif(wif: string, network: Network = evrmore): PrivateKey {
  if (typeof wif !== 'string') throw new TypeError('wif must be a string');
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(wif);
  } catch {
    throw new TypeError('wif is not valid base58check');
  }
  if (payload[0] !== network.wif) throw new TypeError(`wif is not a ${network.name} private key`);
  if (payload.length === 34 && payload[33] === 0x01) {
    return { privateKey: checkPrivateKey(payload.slice(1, 33)), compressed: true };
  }
  if (payload.length === 33)
    return { privateKey: checkPrivateKey(payload.slice(1)), compressed: false };
  throw new TypeError('wif has a wrong length');
}

/**
 * Encode a private key as WIF for `network`.
 *
 * @example
 * ```ts
 * encodeWif({ privateKey, compressed: true }, evrmore); // 'K…' or 'L…'
 * ```
 */
export function encodeWif(key: PrivateKey, network: Network = evrmore): string {
  const privateKey = checkPrivateKey(key.privateKey);
  const payload = new Uint8Array(key.compressed ? 34 : 33);
  payload[0] = network.wif;
  payload.set(privateKey, 1);
  if (key.compressed) payload[33] = 0x01;
  return bs58check.encode(payload);
}

function checkPrivateKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32 || !secp.utils.isValidSecretKey(key)) {
    throw new TypeError('privateKey must be 32 bytes in [1, n-1]');
  }
  return key;
}

/**
 * Normalise a private key given as bytes or 64 hex characters.
 *
 * @example
 * ```ts
 * toPrivateKeyBytes('42'.repeat(32)); // Uint8Array(32)
 * ```
 */
export function toPrivateKeyBytes(key: Uint8Array | string): Uint8Array {
  if (typeof key === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(key))
      throw new TypeError('privateKey hex must be 64 hex characters');
    return checkPrivateKey(hexToBytes(key));
  }
  return checkPrivateKey(key);
}

/**
 * A new random private key from the platform CSPRNG (Web Crypto).
 *
 * @example
 * ```ts
 * const key = generatePrivateKey();
 * const address = privateKeyToAddress(key);
 * ```
 */
export function generatePrivateKey(): Uint8Array {
  return secp.utils.randomSecretKey();
}

/**
 * The SEC1 public key of a private key.
 *
 * @example
 * ```ts
 * getPublicKey('42'.repeat(32)); // Uint8Array(33), compressed
 * getPublicKey('42'.repeat(32), false); // Uint8Array(65)
 * ```
 */
export function getPublicKey(privateKey: Uint8Array | string, compressed = true): Uint8Array {
  return secp.getPublicKey(toPrivateKeyBytes(privateKey), compressed);
}

/**
 * The P2PKH address of a private key.
 *
 * @example
 * ```ts
 * privateKeyToAddress('42'.repeat(32)); // 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5'
 * ```
 */
export function privateKeyToAddress(
  privateKey: Uint8Array | string,
  options: { network?: Network; compressed?: boolean } = {},
): string {
  return publicKeyToAddress(
    getPublicKey(privateKey, options.compressed ?? true),
    options.network ?? evrmore,
  );
}
