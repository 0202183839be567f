import {
  decodeWif,
  evrmore,
  privateKeyToAddress,
  signMessage,
  type Network,
} from '@evrmore-auth/core';
import type { Signer } from './signer.js';

/**
 * Options of {@link localKeySigner}: exactly one of `wif` and `privateKey`.
 *
 * @example
 * ```ts
 * localKeySigner({ privateKey: '42'.repeat(32) });
 * ```
 */
export interface LocalKeySignerOptions {
  /** A WIF private key of `network`. */
  wif?: string;
  /** 32 bytes or 64 hex characters (compressed public key). */
  privateKey?: Uint8Array | string;
  /**
   * The network.
   * @default evrmore
   */
  network?: Network;
}

/**
 * A signer holding a private key in memory (a WIF string, 64 hex characters, 32 bytes, or an
 * options object), for bots, tests and demo wallets (never for real
 * users' keys in a web page). Lives in its own entry point so the signing code stays out of the
 * main bundle.
 *
 * @example
 * ```ts
 * import { createAuthClient } from '@evrmore-auth/client';
 * import { localKeySigner } from '@evrmore-auth/client/local-key';
 * const auth = createAuthClient({ baseUrl: 'https://api.example.com/auth', signer: localKeySigner({ wif: process.env.BOT_WIF! }) });
 * ```
 */
export function localKeySigner(key: LocalKeySignerOptions | string | Uint8Array): Signer {
  const options: LocalKeySignerOptions =
    key instanceof Uint8Array
      ? { privateKey: key }
      : typeof key === 'string'
        ? /^[0-9a-fA-F]{64}$/.test(key)
          ? { privateKey: key }
          : { wif: key }
        : key;
  if (typeof options !== 'object' || options === null)
    throw new TypeError('localKeySigner: options must be an object');
  if ((options.wif === undefined) === (options.privateKey === undefined))
    throw new TypeError('localKeySigner: pass exactly one of wif and privateKey');
  const network = options.network ?? evrmore;
  let address: string;
  if (options.wif !== undefined) {
    const key = decodeWif(options.wif, network);
    address = privateKeyToAddress(key.privateKey, { network, compressed: key.compressed });
  } else {
    address = privateKeyToAddress(options.privateKey!, { network });
  }
  const keyOptions =
    options.wif !== undefined ? { wif: options.wif } : { privateKey: options.privateKey! };
  return {
    getAddress: () => Promise.resolve(address),
    signMessage: (message) => Promise.resolve(signMessage({ ...keyOptions, message, network })),
  };
}
