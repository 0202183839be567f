// @vitest-environment happy-dom
// No flash of signed-out content: the page hydrates the server's HTML (initialSession) and the
// hook keeps reporting the server's view until the client has restored its session.
import { act, cleanup } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '../client.js';
import { localKeySigner } from '../signers/local-key.js';
import { BASE, createFakeServer, flush } from '../testing/fake-auth-server.js';
import { AuthProvider, useEvrmoreAuth } from './index.js';

const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  mswServer.resetHandlers();
});
afterAll(() => mswServer.close());

describe('AuthProvider initialSession', () => {
  it('hydrates the signed-in HTML without a signed-out or refreshing render', async () => {
    const fake = createFakeServer({ domain: 'app.test' });
    fake.state.hasRefreshCookie = true;
    mswServer.use(...fake.handlers);
    const seen: string[] = [];
    function Status() {
      const { status, address } = useEvrmoreAuth();
      seen.push(`${status}|${address ? 'addr' : '-'}`);
      return <p id="s">{`${status}|${address ? 'addr' : '-'}`}</p>;
    }
    const signer = localKeySigner({ privateKey: '42'.repeat(32) });
    const address = await signer.getAddress();
    let client: AuthClient | undefined;
    const factory = () =>
      (client ??= createAuthClient({
        baseUrl: BASE,
        signer,
        expectedDomain: 'app.test',
        expectedUri: 'https://app.test',
        restore: true,
        tabSync: false,
      }));
    const tree = (
      <AuthProvider client={factory} initialSession={{ address }}>
        <Status />
      </AuthProvider>
    );
    // The server's HTML, rendered without a client (as on the server: the factory is not called).
    const container = document.createElement('div');
    document.body.append(container);
    const realDocument = globalThis.document;
    Object.defineProperty(globalThis, 'document', { value: undefined, configurable: true });
    try {
      container.innerHTML = renderToString(tree);
    } finally {
      Object.defineProperty(globalThis, 'document', { value: realDocument, configurable: true });
    }
    expect(client).toBeUndefined();
    expect(container.textContent).toBe('signed-in|addr');
    const errors: unknown[] = [];
    const root = await act(async () =>
      hydrateRoot(container, tree, { onRecoverableError: (e) => errors.push(e) }),
    );
    expect(client).toBeDefined();
    await act(() => flush());
    expect(client!.getState().status).toBe('signed-in');
    expect(container.textContent).toBe('signed-in|addr');
    expect(errors).toEqual([]);
    // Every render, from hydration to the restored session, showed the signed-in address.
    expect(new Set(seen)).toEqual(new Set(['signed-in|addr']));
    // Afterwards the hook follows the client.
    await act(() => client!.signOut());
    expect(container.textContent).toBe('signed-out|-');
    root.unmount();
    client!.destroy();
  });

  it('shows the client state when the server saw no session and the client restores one', async () => {
    const fake = createFakeServer({ domain: 'app.test' });
    fake.state.hasRefreshCookie = true;
    mswServer.use(...fake.handlers);
    const client = createAuthClient({
      baseUrl: BASE,
      signer: localKeySigner({ privateKey: '42'.repeat(32) }),
      expectedDomain: 'app.test',
      expectedUri: 'https://app.test',
      restore: true,
      tabSync: false,
    });
    const seen: string[] = [];
    function Status() {
      const { status } = useEvrmoreAuth();
      seen.push(status);
      return <p>{status}</p>;
    }
    const container = document.createElement('div');
    document.body.append(container);
    const { createRoot } = await import('react-dom/client');
    const root = createRoot(container);
    await act(async () =>
      root.render(
        <AuthProvider client={client} initialSession={null}>
          <Status />
        </AuthProvider>,
      ),
    );
    await act(() => flush());
    expect(container.textContent).toBe('signed-in');
    // The server's view (signed out) first, never the restore's `refreshing`, then the client's.
    expect(seen[0]).toBe('signed-out');
    expect(seen).not.toContain('refreshing');
    root.unmount();
    client.destroy();
  });
});
