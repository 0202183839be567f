import { decodeSignature, evrmore, type Network } from '@evrmore-auth/core';
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

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * The version byte of a base58 P2PKH-sized address (version ‖ 20-byte hash ‖ 4-byte checksum),
 * or `undefined` when it is not base58 of 25 bytes. The checksum is not checked here: that needs
 * SHA-256, which would add about 3 KiB (min+gzip) to every app's bundle (`pnpm bench
 * bundle-size`), and the server checks the address in full before it issues a challenge
 * (`invalid_address`). This check exists to name a wallet on the wrong chain before any request.
 */
function versionByte(address: string): number | undefined {
  if (address.length > 64) return undefined;
  let n = 0n;
  for (const c of address) {
    const digit = BASE58.indexOf(c);
    if (digit < 0) return undefined;
    n = n * 58n + BigInt(digit);
  }
  // Each leading '1' is a zero byte; the rest is the big-endian number n.
  let bytes = address.length - address.replace(/^1+/, '').length;
  for (let m = n; m > 0n; m >>= 8n) bytes++;
  return bytes === 25 ? Number(n >> 192n) : undefined;
}

/**
 * Check that `address` looks like a P2PKH address of `network` (Evrmore mainnet by default):
 * base58 of a version byte, a 20-byte hash and a checksum, with the network's P2PKH version. A
 * Ravencoin R-address or another chain's address is `wrong_network`; a P2SH address or anything
 * else is `invalid_address`. The checksum is the server's to verify (see `versionByte`). Throws
 * {@link EvrmoreAuthClientError}.
 *
 * @example
 * ```ts
 * assertAddress('RAbc…'); // throws wrong_network: the wallet is in Ravencoin mode
 * ```
 */
export function assertAddress(address: unknown, network: Network = evrmore): string {
  const version = typeof address === 'string' ? versionByte(address) : undefined;
  if (version === network.pubKeyHash) return address as string;
  if (version === undefined || version === network.scriptHash)
    throw new EvrmoreAuthClientError(
      'invalid_address',
      version === undefined
        ? 'invalid address: not base58 of a version byte and a 20-byte hash'
        : 'invalid address: P2SH addresses cannot sign messages; use a P2PKH address',
    );
  const hint =
    typeof address === 'string' && address.startsWith('R')
      ? ' (an R-address is Ravencoin: switch the wallet to Evrmore)'
      : '';
  throw new EvrmoreAuthClientError(
    'wrong_network',
    `the address is not an ${network.name} address${hint}`,
  );
}
