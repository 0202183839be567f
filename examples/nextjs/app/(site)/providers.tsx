'use client';
// The browser half: one auth client per page, created only in the browser (the provider calls
// the factory there; on the server it reports `initialSession`).
import { createAuthClient, type AuthClient, type Signer } from '@evrmore-auth/client';
import { AuthProvider, type InitialSession } from '@evrmore-auth/client/react';
import type { ReactNode } from 'react';

let wallet: Signer | null = null;

/** Which wallet the next sign-in uses (the demo wallet or Satori GO). */
export function chooseWallet(signer: Signer): void {
  wallet = signer;
}

/** The client's signer: whichever wallet was chosen last. */
const chosenWallet: Signer = {
  getAddress: () => {
    if (!wallet) throw new Error('choose a wallet first');
    return wallet.getAddress();
  },
  signMessage: (message) => {
    if (!wallet) throw new Error('choose a wallet first');
    return wallet.signMessage(message);
  },
};

let client: AuthClient | undefined;
function getClient(): AuthClient {
  return (client ??= createAuthClient({ baseUrl: '/auth', signer: chosenWallet }));
}

export function Providers(props: { initialSession: InitialSession | null; children: ReactNode }) {
  return (
    <AuthProvider client={getClient} initialSession={props.initialSession}>
      {props.children}
    </AuthProvider>
  );
}
