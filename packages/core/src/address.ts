import bs58check from 'bs58check';
import { ripemd160, sha256 } from './hash.js';
import { evrmore, type Network } from './networks.js';

/**
 * Why an address was refused.
 *
 * @example
 * ```ts
 * const r = decodeAddress(input);
 * if (!r.ok && r.reason === 'p2sh_cannot_sign') showHint('Use a P2PKH (E…) address');
 * ```
 */
export type AddressErrorReason =
  | 'not_a_string'
  | 'invalid_base58'
  | 'invalid_checksum'
  | 'invalid_length'
  | 'wrong_network'
  | 'p2sh_cannot_sign';

/**
 * The outcome of {@link decodeAddress}.
 *
 * @example
 * ```ts
 * const r: DecodeAddressResult = decodeAddress('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5');
 * if (r.ok) r.hash160; // Uint8Array(20)
 * else r.message;
 * ```
 */
export type DecodeAddressResult =
  | {
      /** The address decoded. */
      ok: true;
      /** The version byte (the network's P2PKH prefix, e.g. 33 on mainnet). */
      version: number;
      /** RIPEMD-160 of SHA-256 of the public key: 20 bytes. */
      hash160: Uint8Array;
    }
  | {
      /** The address did not decode. */
      ok: false;
      /** Why, as a stable reason code. */
      reason: AddressErrorReason;
      /** Why, in words, safe to show. */
      message: string;
    };

const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
const MAX_ADDRESS_LENGTH = 64;

const REASON_MESSAGES: Record<AddressErrorReason, string> = {
  not_a_string: 'address must be a string',
  invalid_base58: 'address contains characters outside the base58 alphabet',
  invalid_checksum: 'address checksum is wrong (a typo?)',
  invalid_length: 'address does not have the length of a version byte and a 20-byte hash',
  wrong_network: 'address belongs to another network',
  p2sh_cannot_sign: 'P2SH addresses cannot sign messages; use a P2PKH address',
};

function fail(reason: AddressErrorReason, network?: Network): DecodeAddressResult {
  const message =
    reason === 'wrong_network' && network
      ? `address is not an ${network.name} address`
      : REASON_MESSAGES[reason];
  return { ok: false, reason, message };
}

/**
 * Decode and check a P2PKH address of `network`. Never throws; the result says why an address is
 * refused, checked in this order:
 *
 * - `not_a_string`; `invalid_length` (empty or longer than 64 characters, before any decoding);
 * - `invalid_base58`: a character outside the base58 alphabet (`0`, `O`, `I`, `l`, look-alikes);
 * - `invalid_checksum`: base58check checksum mismatch (a typo);
 * - `invalid_length`: the payload is not version ‖ 20-byte hash;
 * - `p2sh_cannot_sign`: the version is this network's P2SH version;
 * - `wrong_network`: any other version byte. Every version byte is some Bitcoin-family chain's
 *   (Bitcoin 0, Ravencoin 60, the shared testnet 111…), so a well-formed 21-byte payload with a
 *   foreign version is "another network", not garbage.
 *
 * @example
 * ```ts
 * import { decodeAddress, evrmore } from '@evrmore-auth/core';
 * const r = decodeAddress('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5', evrmore);
 * if (!r.ok) console.log(r.reason); // e.g. 'invalid_checksum'
 * ```
 */
export function decodeAddress(address: unknown, network: Network = evrmore): DecodeAddressResult {
  if (typeof address !== 'string') return fail('not_a_string');
  if (address.length === 0 || address.length > MAX_ADDRESS_LENGTH) return fail('invalid_length');
  if (!BASE58.test(address)) return fail('invalid_base58');
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(address);
  } catch {
    return fail('invalid_checksum');
  }
  const version = payload[0];
  if (version === undefined || payload.length !== 21) return fail('invalid_length');
  if (version === network.scriptHash) return fail('p2sh_cannot_sign');
  if (version !== network.pubKeyHash) return fail('wrong_network', network);
  return { ok: true, version, hash160: payload.slice(1) };
}

/**
 * Whether `address` is a valid P2PKH address of `network`.
 *
 * @example
 * ```ts
 * isValidAddress('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5'); // true
 * isValidAddress('EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5', evrmoreTestnet); // false
 * ```
 */
export function isValidAddress(address: unknown, network: Network = evrmore): boolean {
  return decodeAddress(address, network).ok;
}

/**
 * HASH160 = RIPEMD-160(SHA-256(data)), the 20 bytes a P2PKH address encodes.
 *
 * @example
 * ```ts
 * encodeAddress(hash160(getPublicKey(privateKey)), evrmore);
 * ```
 */
export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/**
 * The P2PKH address of a 20-byte public-key hash.
 *
 * @example
 * ```ts
 * encodeAddress(hash160(publicKey), evrmore); // 'E…'
 * ```
 */
export function encodeAddress(pubKeyHash: Uint8Array, network: Network = evrmore): string {
  if (!(pubKeyHash instanceof Uint8Array) || pubKeyHash.length !== 20) {
    throw new TypeError('pubKeyHash must be a 20-byte Uint8Array');
  }
  const payload = new Uint8Array(21);
  payload[0] = network.pubKeyHash;
  payload.set(pubKeyHash, 1);
  return bs58check.encode(payload);
}

/**
 * The P2PKH address of a SEC1 public key (33 bytes compressed or 65 bytes uncompressed).
 *
 * @example
 * ```ts
 * publicKeyToAddress(publicKey, evrmore); // 'E…'
 * ```
 */
export function publicKeyToAddress(publicKey: Uint8Array, network: Network = evrmore): string {
  if (!(publicKey instanceof Uint8Array) || (publicKey.length !== 33 && publicKey.length !== 65)) {
    throw new TypeError('publicKey must be a 33- or 65-byte SEC1 encoded Uint8Array');
  }
  return encodeAddress(hash160(publicKey), network);
}
