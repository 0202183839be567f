// The two ways to sign in here, as one switchable `Signer` for the client: the in-page demo
// wallet (a fresh key, never sent anywhere) and Satori GO (window.evrmore).
import { injectedWalletSigner, type Signer } from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { encodeWif, generatePrivateKey } from '@evrmore-auth/core';

/** A demo wallet from a new random key (kept in this page's memory only). */
export async function demoWallet(): Promise<{ signer: Signer; address: string }> {
  const signer = localKeySigner({
    wif: encodeWif({ privateKey: generatePrivateKey(), compressed: true }),
  });
  return { signer, address: await signer.getAddress() };
}

/** Satori GO, or any wallet that injects `window.evrmore`. */
export function satoriGo(): Signer {
  return injectedWalletSigner();
}

/** A signer that forwards to whichever wallet the user picked. */
export function switchableSigner(): Signer & { use(signer: Signer): void } {
  let current: Signer | null = null;
  const active = (): Signer => {
    if (current === null) throw new Error('pick a wallet first');
    return current;
  };
  return {
    use(signer) {
      current = signer;
    },
    getAddress: () => active().getAddress(),
    signMessage: (message) => active().signMessage(message),
  };
}
