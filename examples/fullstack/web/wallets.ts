// The three ways to sign in, each a `Signer` from the client package, wrapped so that the user
// always sees the exact message before anything signs it.
import {
  EvrmoreAuthClientError,
  injectedWalletSigner,
  manualSigner,
  type Signer,
} from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { encodeWif, generatePrivateKey } from '@evrmore-auth/core';

/** What the confirm panel shows; resolves to the pasted signature for the manual flow. */
export interface ConfirmRequest {
  title: string;
  help: string;
  message: string;
  /** The `evrmore-cli signmessage` command, for the manual flow (which then takes a paste). */
  command?: string;
  action: string;
}
export type Confirm = (request: ConfirmRequest) => Promise<string>;

/** The error a cancelled confirm step rejects with: the same code a wallet's "reject" maps to. */
export function cancelled(): EvrmoreAuthClientError {
  return new EvrmoreAuthClientError('user_rejected', 'the user cancelled the signature');
}

/** A signer that shows the message (and waits for a click) before `inner` signs it. */
function confirming(inner: Signer, confirm: Confirm, request: Omit<ConfirmRequest, 'message'>) {
  return {
    getAddress: () => inner.getAddress(),
    async signMessage(message: string) {
      await confirm({ ...request, message });
      return inner.signMessage(message);
    },
  } satisfies Signer;
}

/** The in-page demo wallet: a fresh key held in this closure only. */
export interface DemoWallet {
  signer: Signer;
  address: string;
  wif: string;
}

/** A demo wallet from a new random key, or from a pasted WIF (throws TypeError if invalid). */
export async function demoWallet(confirm: Confirm, wif?: string): Promise<DemoWallet> {
  const key = wif ?? encodeWif({ privateKey: generatePrivateKey(), compressed: true });
  const local = localKeySigner({ wif: key });
  const address = await local.getAddress();
  const signer = confirming(local, confirm, {
    title: 'Check the message, then sign',
    help: 'The demo wallet in this page signs it with its key when you click the button.',
    action: 'Sign with the demo wallet',
  });
  return { signer, address, wif: key };
}

/** Satori GO (or any wallet injecting `window.evrmore`). */
export function injectedWallet(confirm: Confirm): Signer {
  return confirming(injectedWalletSigner(), confirm, {
    title: 'Check the message, then approve it in Satori GO',
    help: 'Satori GO will show the same message and ask for your approval.',
    action: 'Open Satori GO',
  });
}

/** Evrmore Core / Electrum: show the message and the command, take the pasted signature. */
export function manualWallet(confirm: Confirm, address: () => string): Signer {
  return manualSigner({
    address: async () => address(),
    prompt: ({ message, command }) =>
      confirm({
        title: 'Sign this message in your wallet',
        help:
          'Sign the exact text below with your address (Electrum: Tools → Sign/verify message), ' +
          'or run the command in a terminal, then paste the signature.',
        message,
        command,
        action: 'Sign in',
      }),
  });
}
