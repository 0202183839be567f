'use client';
// Sign in with the in-page demo wallet or Satori GO (window.evrmore), and sign out. After each,
// router.refresh() re-renders the server components with the new session cookie.
import { injectedWalletSigner } from '@evrmore-auth/client';
import { useEvrmoreAuth } from '@evrmore-auth/client/react';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { encodeWif, generatePrivateKey } from '@evrmore-auth/core';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { chooseWallet } from './providers';

export function SignInPanel() {
  const { status, address, signIn, signOut, state, client } = useEvrmoreAuth();
  const getState = client.getState;
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  // The server renders these buttons before React hydrates them: until then a click would do
  // nothing, so they stay disabled until the page is live.
  const [live, setLive] = useState(false);
  useEffect(() => setLive(true), []);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
      // Back to the protected page that sent the visitor here (a path on this site only).
      const next = new URLSearchParams(window.location.search).get('next');
      if (next && /^\/(?![/\\])/.test(next) && getState().status === 'signed-in') router.push(next);
      else router.refresh();
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card">
      <h2>Your wallet</h2>
      <p id="client-status">
        Client: {status}
        {address ? ` as ${address}` : ''}
        {state.reason && status !== 'signed-in' ? ` (${state.reason})` : ''}
      </p>
      {status === 'signed-in' ? (
        <button id="sign-out" disabled={busy || !live} onClick={() => run(signOut)}>
          Sign out
        </button>
      ) : (
        <div className="row">
          <button
            id="sign-in-demo"
            disabled={busy || !live}
            onClick={() =>
              run(() => {
                // A fresh key held only in this page: the demo wallet.
                const wif = encodeWif({ privateKey: generatePrivateKey(), compressed: true });
                chooseWallet(localKeySigner({ wif }));
                return signIn();
              })
            }
          >
            Sign in with the demo wallet
          </button>
          <button
            id="sign-in-satori"
            disabled={busy || !live}
            onClick={() =>
              run(() => {
                chooseWallet(injectedWalletSigner());
                return signIn();
              })
            }
          >
            Sign in with Satori GO
          </button>
        </div>
      )}
    </section>
  );
}
