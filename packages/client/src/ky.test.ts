import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { createAuthClient } from './client.js';
import { memoryDpopKey } from './dpop/index.js';
import { createAuthKy } from './ky.js';
import { localKeySigner } from './signers/local-key.js';
import { API, BASE, createFakeServer } from './testing/fake-auth-server.js';

const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());

describe('createAuthKy', () => {
  it('adds the bearer token and refreshes once on a 401, like auth.fetch', async () => {
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    const auth = createAuthClient({
      baseUrl: BASE,
      signer: localKeySigner({ privateKey: '42'.repeat(32) }),
      restore: false,
      tabSync: false,
      document: null,
      window: null,
    });
    await auth.signIn();
    const api = createAuthKy(auth, { retry: 0 });
    expect(await api.get(API).json()).toEqual({ ok: true, token: 'at-1' });
    fake.expireAccessTokens();
    expect(await api.post(API, { json: { x: 1 } }).json()).toEqual({ ok: true, token: 'at-2' });
    expect(fake.state.refreshCount).toBe(1);
    fake.state.apiAlways401 = true;
    await expect(api.get(API).json()).rejects.toMatchObject({ name: 'HTTPError' });
    expect(fake.state.refreshCount).toBe(2);
  });

  it('sends a DPoP token with a proof for each request when the client has a key', async () => {
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    const dpop = memoryDpopKey();
    const auth = createAuthClient({
      baseUrl: BASE,
      signer: localKeySigner({ privateKey: '42'.repeat(32) }),
      dpop,
      restore: false,
      tabSync: false,
      document: null,
      window: null,
    });
    await auth.signIn();
    const api = createAuthKy(auth, { retry: 0 });
    expect(await api.put(API, { json: { x: 1 } }).json()).toEqual({ ok: true, token: 'at-1' });
    expect(fake.state.apiAuthHeaders).toEqual(['DPoP at-1']);
    const proof = fake.state.proofs.at(-1)!;
    expect(proof.payload).toMatchObject({ htm: 'PUT', htu: API });
    expect(proof.jkt).toBe(await dpop.thumbprint());
  });

  it('refuses something that is not an auth client', () => {
    expect(() => createAuthKy({} as never)).toThrow('createAuthKy: auth must be an AuthClient');
  });
});
