// @vitest-environment node
// Server rendering (Next.js, SvelteKit): no `window`/`document` at import or render; a client
// factory is never called on the server; `initialSession` is what the server's HTML shows.
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AuthClient } from '../client.js';
import { AuthProvider, useEvrmoreAuth } from './index.js';

function Status() {
  const { status, address } = useEvrmoreAuth();
  return <p>{`${status}|${address ?? '-'}`}</p>;
}

describe('AuthProvider under server rendering', () => {
  it('every browser entry imports without a DOM (a Next.js client component runs on the server too)', async () => {
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const root = await import('../index.js');
    const localKey = await import('../signers/local-key.js');
    expect(typeof root.createAuthClient).toBe('function');
    expect(typeof root.injectedWalletSigner).toBe('function');
    expect(typeof localKey.localKeySigner).toBe('function');
    // A signer can be made on the server (it touches window.evrmore only when used).
    expect(typeof root.injectedWalletSigner().getAddress).toBe('function');
  });

  it('renders initialSession and never calls the client factory', () => {
    let calls = 0;
    const factory = (): AuthClient => {
      calls++;
      throw new Error('must not run on the server');
    };
    const html = renderToString(
      <AuthProvider client={factory} initialSession={{ address: 'EXyz' }}>
        <Status />
      </AuthProvider>,
    );
    expect(html).toContain('signed-in|EXyz');
    expect(calls).toBe(0);
  });

  it('renders signed out for initialSession null, and the actions reject on the server', async () => {
    let actions: ReturnType<typeof useEvrmoreAuth> | undefined;
    function Grab() {
      actions = useEvrmoreAuth();
      return null;
    }
    const html = renderToString(
      <AuthProvider client={() => ({}) as AuthClient} initialSession={null}>
        <Status />
        <Grab />
      </AuthProvider>,
    );
    expect(html).toContain('signed-out|-');
    await expect(actions!.signIn()).rejects.toThrow('not available during server rendering');
  });
});
