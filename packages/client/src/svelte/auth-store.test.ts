import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '../client.js';
import { localKeySigner } from '../signers/local-key.js';
import type { AuthState } from '../state.js';
import { BASE, createFakeServer, flush } from '../testing/fake-auth-server.js';
import { authStore } from './auth-store.js';

const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());

const clients: AuthClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

/** A real client on the fake server; `restore` as a browser would do it. */
function makeClient(options: { session: boolean; restore?: boolean }) {
  const fake = createFakeServer({ domain: 'app.test' });
  fake.state.hasRefreshCookie = options.session;
  mswServer.use(...fake.handlers);
  const client = createAuthClient({
    baseUrl: BASE,
    signer: localKeySigner({ privateKey: '42'.repeat(32) }),
    expectedDomain: 'app.test',
    expectedUri: 'https://app.test',
    restore: options.restore ?? true,
    tabSync: false,
  });
  clients.push(client);
  return { client, fake };
}

/** Every value the store gave `run`, as `status|address`. */
function record(store: { subscribe(run: (v: AuthState) => void): () => void }) {
  const seen: string[] = [];
  const unsubscribe = store.subscribe((s) => seen.push(`${s.status}|${s.address ?? '-'}`));
  return { seen, unsubscribe };
}

describe('authStore', () => {
  it('follows the client: restore, sign-out, sign-in (the Svelte store contract)', async () => {
    const { client } = makeClient({ session: true });
    const store = authStore(client);
    const { seen, unsubscribe } = record(store);
    // run is called at once with the current value (Svelte's contract), then on every change
    expect(seen).toEqual(['refreshing|-']);
    await flush();
    expect(seen.at(-1)).toMatch(/^signed-in\|E\w+$/);
    await client.signOut();
    expect(seen.at(-1)).toBe('signed-out|-');
    await client.signIn();
    expect(seen.at(-1)).toMatch(/^signed-in\|E\w+$/);
    expect(store.get()).toBe(client.getState());
    unsubscribe();
    const before = seen.length;
    await client.signOut();
    expect(seen.length).toBe(before); // no calls after unsubscribe
  });

  it("reports the server's session while the client restores: no flash of signed-out", async () => {
    const { client } = makeClient({ session: true });
    const address = 'EXsomeServerAddress';
    const store = authStore(client, { initial: { address, sessionId: 's1' } });
    const { seen } = record(store);
    expect(client.getState().status).toBe('refreshing');
    expect(seen).toEqual([`signed-in|${address}`]);
    expect(store.get().session).toBeNull(); // no token held yet
    await flush();
    // then the client's own signed-in state (its address, its session)
    expect(seen.at(-1)).toMatch(/^signed-in\|E\w+$/);
    expect(store.get().session).not.toBeNull();
    expect(seen.every((s) => s.startsWith('signed-in|'))).toBe(true);
  });

  it('moves to signed-out when the restore finds no session after all', async () => {
    const { client } = makeClient({ session: false });
    const store = authStore(client, { initial: { address: 'EXgone' } });
    const { seen } = record(store);
    expect(seen).toEqual(['signed-in|EXgone']);
    await flush();
    expect(store.get().status).toBe('signed-out');
    expect(store.get().reason).not.toBeNull();
    expect(seen.at(-1)).toBe('signed-out|-');
  });

  it('initial null: signed-out while restoring, then whatever the client finds', async () => {
    const { client } = makeClient({ session: true });
    const store = authStore(client, { initial: null });
    const { seen } = record(store);
    expect(seen).toEqual(['signed-out|-']);
    expect(store.get().reason).toBe('no-session');
    await flush();
    expect(seen.at(-1)).toMatch(/^signed-in\|E\w+$/);
  });

  it('never goes back to the server value once the client has settled', async () => {
    const { client } = makeClient({ session: true });
    const store = authStore(client, { initial: { address: 'EXserver' } });
    const { seen } = record(store);
    await flush();
    expect(store.get().status).toBe('signed-in');
    const from = seen.length;
    // a later refresh passes through `refreshing` again: that is the client's, not a restore
    await client.refresh();
    const during = seen.slice(from);
    expect(during.some((s) => s.startsWith('refreshing|'))).toBe(true);
    expect(during.some((s) => s.includes('EXserver'))).toBe(false);
  });

  it('without a client (on the server) holds the initial session', () => {
    const signedIn = authStore(null, { initial: { address: 'EXserver' } });
    expect(record(signedIn).seen).toEqual(['signed-in|EXserver']);
    expect(signedIn.client).toBeNull();
    const signedOut = authStore(null, { initial: null });
    expect(record(signedOut).seen).toEqual(['signed-out|-']);
    expect(authStore(null).get().status).toBe('signed-out');
  });

  it('subscribes to the client only while someone listens', () => {
    let listeners = 0;
    const { client } = makeClient({ session: false, restore: false });
    const counting: AuthClient = {
      ...client,
      subscribe(listener) {
        listeners++;
        const off = client.subscribe(listener);
        return () => {
          listeners--;
          off();
        };
      },
    };
    const store = authStore(counting);
    const a = store.subscribe(() => undefined);
    const b = store.subscribe(() => undefined);
    expect(listeners).toBe(1);
    a();
    a(); // twice is harmless
    expect(listeners).toBe(1);
    b();
    expect(listeners).toBe(0);
  });

  it('refuses what is not a client or a session', () => {
    expect(() => authStore({} as AuthClient)).toThrow(
      'authStore: client must be an AuthClient (or null on the server)',
    );
    expect(() => authStore(null, { initial: { address: '' } })).toThrow(
      'authStore: initial must be { address } or null',
    );
    expect(() => authStore(null).subscribe(5 as never)).toThrow(TypeError);
  });
});
