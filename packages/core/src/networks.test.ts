import { describe, expect, it } from 'vitest';
import {
  defineNetwork,
  evrmore,
  evrmoreTestnet,
  NETWORKS,
  networkByChainId,
  type Network,
} from './networks.js';

const RAVENCOIN: Network = {
  name: 'ravencoin',
  chainId: 'ravencoin:mainnet',
  messagePrefix: 'Raven Signed Message:\n',
  pubKeyHash: 60,
  scriptHash: 122,
  wif: 128,
};

describe('networks', () => {
  it('has Evrmore Core chainparams for mainnet and testnet', () => {
    expect(evrmore).toMatchObject({
      chainId: 'evrmore:mainnet',
      messagePrefix: 'Evrmore Signed Message:\n',
      pubKeyHash: 33,
      scriptHash: 92,
      wif: 128,
    });
    expect(evrmoreTestnet).toMatchObject({
      chainId: 'evrmore:testnet',
      pubKeyHash: 111,
      scriptHash: 196,
      wif: 239,
    });
    expect(Object.isFrozen(evrmore)).toBe(true);
  });

  it('finds built-in networks by chain id, and nothing else', () => {
    expect(networkByChainId('evrmore:mainnet')).toBe(evrmore);
    expect(networkByChainId('evrmore:testnet')).toBe(evrmoreTestnet);
    expect(networkByChainId('toString')).toBeUndefined();
    expect(networkByChainId('__proto__')).toBeUndefined();
    expect(Object.keys(NETWORKS)).toEqual(['evrmore:mainnet', 'evrmore:testnet']);
    // NETWORKS is keyed by literal strings (so bundlers can drop it): each must be its chainId.
    for (const [id, network] of Object.entries(NETWORKS)) expect(network.chainId).toBe(id);
  });

  it('defineNetwork copies, freezes and drops unknown fields', () => {
    const n = defineNetwork({ ...RAVENCOIN, extra: 1 } as Network);
    expect(n).toEqual(RAVENCOIN);
    expect(Object.isFrozen(n)).toBe(true);
  });

  it.each([
    [{ name: '' }, 'network.name must be a non-empty string'],
    [
      { chainId: 'Ravencoin' },
      'network.chainId must look like "namespace:reference" (lowercase, digits, hyphens)',
    ],
    [{ messagePrefix: '' }, 'network.messagePrefix must be a non-empty string'],
    [{ pubKeyHash: 256 }, 'network.pubKeyHash must be an integer from 0 to 255'],
    [{ scriptHash: -1 }, 'network.scriptHash must be an integer from 0 to 255'],
    [{ wif: 1.5 }, 'network.wif must be an integer from 0 to 255'],
    [{ scriptHash: 60 }, 'network.pubKeyHash and network.scriptHash must differ'],
  ])('defineNetwork refuses %o with an exact TypeError', (patch, message) => {
    expect(() => defineNetwork({ ...RAVENCOIN, ...patch } as Network)).toThrow(
      new TypeError(message),
    );
  });

  it('defineNetwork refuses a non-object', () => {
    expect(() => defineNetwork(null as never)).toThrow(new TypeError('network must be an object'));
  });
});
