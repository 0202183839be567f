/**
 * The parameters that make one Bitcoin-family chain's signed messages and addresses distinct.
 *
 * @example
 * ```ts
 * import { defineNetwork } from '@evrmore-auth/core';
 * // Ravencoin mainnet, to verify its signed messages with the same code:
 * const ravencoin = defineNetwork({
 *   name: 'ravencoin',
 *   chainId: 'ravencoin:mainnet',
 *   messagePrefix: 'Raven Signed Message:\n',
 *   pubKeyHash: 60,
 *   scriptHash: 122,
 *   wif: 128,
 * });
 * ```
 */
export interface Network {
  /** A short name for messages and logs, e.g. `evrmore`. */
  readonly name: string;
  /** The `Chain ID:` line of the sign-in message, e.g. `evrmore:mainnet`. */
  readonly chainId: string;
  /** The signed-message magic without its length byte, e.g. `Evrmore Signed Message:\n`. */
  readonly messagePrefix: string;
  /** P2PKH address version byte. */
  readonly pubKeyHash: number;
  /** P2SH address version byte. */
  readonly scriptHash: number;
  /** WIF private-key version byte. */
  readonly wif: number;
}

/**
 * Evrmore mainnet (Evrmore Core `src/chainparams.cpp`): addresses start with `E`.
 *
 * @example
 * ```ts
 * verifyMessage({ address, message, signature, network: evrmore });
 * ```
 */
export const evrmore: Network = /* @__PURE__ */ Object.freeze({
  name: 'evrmore',
  chainId: 'evrmore:mainnet',
  messagePrefix: 'Evrmore Signed Message:\n',
  pubKeyHash: 33,
  scriptHash: 92,
  wif: 128,
});

/**
 * Evrmore testnet and regtest: addresses start with `m` or `n`.
 *
 * @example
 * ```ts
 * isValidAddress('mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB', evrmoreTestnet); // true
 * ```
 */
export const evrmoreTestnet: Network = /* @__PURE__ */ Object.freeze({
  name: 'evrmore-testnet',
  chainId: 'evrmore:testnet',
  messagePrefix: 'Evrmore Signed Message:\n',
  pubKeyHash: 111,
  scriptHash: 196,
  wif: 239,
});

/**
 * The built-in networks, keyed by chain id.
 *
 * @example
 * ```ts
 * Object.keys(NETWORKS); // ['evrmore:mainnet', 'evrmore:testnet']
 * ```
 */
// Literal keys (each network's chainId) and pure calls: a bundler can then drop the table, and
// evrmoreTestnet with it, from a browser bundle that only uses evrmore.
export const NETWORKS: Readonly<Record<string, Network>> = /* @__PURE__ */ Object.freeze({
  'evrmore:mainnet': evrmore,
  'evrmore:testnet': evrmoreTestnet,
});

const CHAIN_ID = /^[a-z0-9-]{1,32}:[a-z0-9-]{1,32}$/;

function assertByte(value: unknown, field: string): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 255) {
    throw new TypeError(`network.${field} must be an integer from 0 to 255`);
  }
}

/**
 * Validate and freeze a custom network definition. Throws `TypeError` on a bad field.
 *
 * @example
 * ```ts
 * const regtest = defineNetwork({ ...evrmoreTestnet, name: 'evrmore-regtest', chainId: 'evrmore:regtest' });
 * ```
 */
export function defineNetwork(network: Network): Network {
  if (typeof network !== 'object' || network === null)
    throw new TypeError('network must be an object');
  if (typeof network.name !== 'string' || network.name.length === 0) {
    throw new TypeError('network.name must be a non-empty string');
  }
  if (typeof network.chainId !== 'string' || !CHAIN_ID.test(network.chainId)) {
    throw new TypeError(
      'network.chainId must look like "namespace:reference" (lowercase, digits, hyphens)',
    );
  }
  if (typeof network.messagePrefix !== 'string' || network.messagePrefix.length === 0) {
    throw new TypeError('network.messagePrefix must be a non-empty string');
  }
  assertByte(network.pubKeyHash, 'pubKeyHash');
  assertByte(network.scriptHash, 'scriptHash');
  assertByte(network.wif, 'wif');
  if (network.pubKeyHash === network.scriptHash) {
    throw new TypeError('network.pubKeyHash and network.scriptHash must differ');
  }
  return Object.freeze({
    name: network.name,
    chainId: network.chainId,
    messagePrefix: network.messagePrefix,
    pubKeyHash: network.pubKeyHash,
    scriptHash: network.scriptHash,
    wif: network.wif,
  });
}

/**
 * The built-in network whose chain id is `chainId`, or `undefined`.
 *
 * @example
 * ```ts
 * networkByChainId('evrmore:testnet') === evrmoreTestnet; // true
 * networkByChainId('bitcoin:mainnet'); // undefined
 * ```
 */
export function networkByChainId(chainId: string): Network | undefined {
  return Object.hasOwn(NETWORKS, chainId) ? NETWORKS[chainId] : undefined;
}
