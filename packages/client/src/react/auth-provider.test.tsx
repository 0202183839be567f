// @vitest-environment happy-dom
import { act, render, screen, cleanup } from '@testing-library/react';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient } from '../client.js';
import { localKeySigner } from '../signers/local-key.js';
import { BASE, createFakeServer, flush } from '../testing/fake-auth-server.js';
import { AuthProvider, useEvrmoreAuth } from './auth-provider.js';

const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  mswServer.resetHandlers();
});
afterAll(() => mswServer.close());

function Status() {
  const { status, address, isSignedIn } = useEvrmoreAuth();
  return (
    <p data-testid="status">
      {status}|{address ?? '-'}|{String(isSignedIn)}
    </p>
  );
}

describe('useEvrmoreAuth', () => {
  it('re-renders through restore, sign-out and sign-in', async () => {
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
    render(
      <AuthProvider client={client}>
        <Status />
      </AuthProvider>,
    );
    expect(screen.getByTestId('status').textContent).toBe('refreshing|-|false');
    await act(() => flush());
    expect(screen.getByTestId('status').textContent).toMatch(/^signed-in\|E\w+\|true$/);
    await act(() => client.signOut());
    expect(screen.getByTestId('status').textContent).toBe('signed-out|-|false');
    await act(() => client.signIn());
    expect(screen.getByTestId('status').textContent).toMatch(/^signed-in\|E\w+\|true$/);
    client.destroy();
  });

  it('throws a clear error outside the provider', () => {
    const spy = console.error;
    console.error = () => undefined;
    try {
      expect(() => render(<Status />)).toThrow('useEvrmoreAuth must be used inside <AuthProvider>');
    } finally {
      console.error = spy;
    }
  });
});
