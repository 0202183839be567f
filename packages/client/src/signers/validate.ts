import { decodeAddress, decodeSignature, evrmore, type Network } from '@evrmore-auth/core';
import { EvrmoreAuthClientError } from '../errors.js';

/**
 * Check that `signature` is base64 of a 65-byte compact signature (header 27–42) and return it
 * trimmed. Throws {@link EvrmoreAuthClientError} `invalid_signature_encoding` otherwise.
 *
 * @example
 * ```ts
 * const signature = assertSignatureEncoding(pasted); // throws on a truncated paste
 * ```
 */
export function assertSignatureEncoding(signature: unknown): string {
  const text = typeof signature === 'string' ? signature.trim() : signature;
  const decoded = decodeSignature(text);
  if (!decoded.ok) {
    throw new EvrmoreAuthClientError(
      'invalid_signature_encoding',
      `not a 65-byte base64 signature: ${decoded.message}`,
    );
  }
  return text as string;
}

/**
 * Check that `address` is a P2PKH address of `network` (Evrmore mainnet by default), naming a
 * Ravencoin R-address or another chain's address as `wrong_network`. Throws
 * {@link EvrmoreAuthClientError}.
 *
 * @example
 * ```ts
 * assertAddress('RAbc…'); // throws wrong_network: the wallet is in Ravencoin mode
 * ```
 */
export function assertAddress(address: unknown, network: Network = evrmore): string {
  const decoded = decodeAddress(address, network);
  if (decoded.ok) return address as string;
  if (decoded.reason === 'wrong_network') {
    const hint =
      typeof address === 'string' && address.startsWith('R')
        ? ' (an R-address is Ravencoin: switch the wallet to Evrmore)'
        : '';
    throw new EvrmoreAuthClientError(
      'wrong_network',
      `the address is not an ${network.name} address${hint}`,
    );
  }
  throw new EvrmoreAuthClientError('invalid_address', `invalid address: ${decoded.message}`);
}
