import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import {
  defineNetwork,
  evrmore,
  EvrmoreAuthError,
  privateKeyToAddress,
  toProblem,
} from '@evrmore-auth/core';
import { createAuthClient, type AuthClientOptions } from './client.js';
import { EvrmoreAuthClientError } from './errors.js';
import { localKeySigner } from './signers/local-key.js';
import type { AuthStatus } from './state.js';
import {
  API,
  BASE,
  createFakeBroadcast,
  createFakeLocks,
  createFakeServer,
  createFakeTime,
  flush,
  type FakeServerOptions,
} from './testing/fake-auth-server.js';

const KEY = '42'.repeat(32);
const ADDRESS = privateKeyToAddress(KEY);
const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());

function setup(
  serverOptions: FakeServerOptions = {},
  clientOptions: Partial<AuthClientOptions> = {},
) {
  const fake = createFakeServer(serverOptions);
  mswServer.use(...fake.handlers);
  const time = createFakeTime();
  const signer = localKeySigner({ privateKey: KEY });
  const signSpy = vi.spyOn(signer, 'signMessage');
  const client = createAuthClient({
    baseUrl: BASE,
    signer,
    now: time.now,
    timers: time.timers,
    random: () => 0.5,
    tabSync: false,
    restore: false,
    document: null,
    window: null,
    ...clientOptions,
  });
  const statuses: AuthStatus[] = [];
  client.subscribe((s) => statuses.push(s.status));
  return { fake, time, client, statuses, signSpy };
}

describe('sign-in', () => {
  it('signs in: signing-in → signed-in, token in memory, session known', async () => {
    const { client, statuses, fake } = setup();
    const state = await client.signIn();
    expect(statuses).toEqual(['signing-in', 'signing-in', 'signed-in']);
    expect(state.status).toBe('signed-in');
    expect(state.address).toBe(ADDRESS);
    expect(state.session?.id).toBe('sess-1');
    expect(await client.getAccessToken()).toBe('at-1');
    expect(fake.state.verifyCount).toBe(1);
  });

  it('goes through mfa-required; a wrong code stays there, the right one signs in', async () => {
    const { client, fake, statuses } = setup({ mfaCode: '654321' });
    fake.state.mfaEnrolled = true;
    const state = await client.signIn();
    expect(state.status).toBe('mfa-required');
    expect(state.mfaMethods).toEqual(['totp']);
    expect(await client.getAccessToken()).toBeNull();
    await expect(client.verifyMfa('000000')).rejects.toMatchObject({ code: 'mfa_invalid' });
    expect(client.getState()).toMatchObject({ status: 'mfa-required', reason: 'mfa_invalid' });
    const done = await client.verifyMfa('654321');
    expect(done.status).toBe('signed-in');
    expect(statuses.at(-1)).toBe('signed-in');
    await expect(client.verifyMfa('654321')).rejects.toMatchObject({ code: 'mfa_not_pending' });
  });

  it('turns a problem+json answer into EvrmoreAuthError with the server code (error state)', async () => {
    const { client } = setup();
    mswServer.use(
      http.post(`${BASE}/verify`, () =>
        HttpResponse.json(toProblem(new EvrmoreAuthError('challenge_expired')), {
          status: 401,
          headers: { 'content-type': 'application/problem+json' },
        }),
      ),
    );
    const err = await client.signIn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthError);
    expect(err).toMatchObject({ code: 'challenge_expired', status: 401 });
    expect(client.getState()).toMatchObject({ status: 'error', reason: 'challenge_expired' });
  });

  it("takes the error's message from the problem body: its detail, else its title, else the code", async () => {
    const { client } = setup();
    const answers = [
      { title: 'Challenge expired', detail: 'issued 10 minutes ago' },
      { title: 'Challenge expired' },
      {},
    ];
    mswServer.use(
      http.post(`${BASE}/verify`, () =>
        HttpResponse.json(
          {
            type: 'urn:evrmore-auth:error:challenge_expired',
            status: 401,
            code: 'challenge_expired',
            ...answers.shift(),
          },
          { status: 401, headers: { 'content-type': 'application/problem+json' } },
        ),
      ),
    );
    const messages: unknown[] = [];
    for (let i = 0; i < 3; i++)
      messages.push(await client.signIn().catch((e: unknown) => (e as Error).message));
    expect(messages).toEqual(['issued 10 minutes ago', 'Challenge expired', 'challenge_expired']);
  });

  it('reports a non-protocol answer as invalid_response and a network failure as network_error', async () => {
    const { client } = setup();
    mswServer.use(
      http.post(`${BASE}/challenge`, () => new HttpResponse('<html>', { status: 502 })),
    );
    await expect(client.signIn()).rejects.toMatchObject({
      name: 'EvrmoreAuthClientError',
      code: 'invalid_response',
      status: 502,
    });
    mswServer.use(http.post(`${BASE}/challenge`, () => HttpResponse.error()));
    const err = await client.signIn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthClientError);
    expect(err).toMatchObject({ code: 'network_error' });
    expect(client.getState()).toMatchObject({ status: 'error', reason: 'network_error' });
  });

  it.each<[string, FakeServerOptions]>([
    ['another domain', { domain: 'evil.test' }],
    ['another origin', { uri: 'https://evil.test' }],
    ['another address', { addressOverride: 'EJr9FbmBWNYhAaDT3wB5G8qsvBYS5M2rYs' }],
    ['another chain', { chainId: 'evrmore:testnet' }],
  ])('refuses to sign a challenge for %s (phishing defence)', async (_what, serverOptions) => {
    const { client, signSpy, fake } = setup(serverOptions);
    const err = await client.signIn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthClientError);
    expect(err).toMatchObject({ code: 'phishing_suspected' });
    expect(signSpy).not.toHaveBeenCalled();
    expect(fake.state.verifyCount).toBe(0);
    expect(client.getState()).toMatchObject({ status: 'error', reason: 'phishing_suspected' });
  });

  it('honours expectedDomain / expectedUri options', async () => {
    const { client } = setup(
      { domain: 'shop.example', uri: 'https://shop.example/login' },
      { expectedDomain: 'shop.example', expectedUri: 'https://shop.example' },
    );
    expect((await client.signIn()).status).toBe('signed-in');
  });

  it('refuses an R-address before contacting the server', async () => {
    const { client, fake } = setup();
    const ravencoin = defineNetwork({
      ...evrmore,
      name: 'ravencoin',
      chainId: 'ravencoin:mainnet',
      pubKeyHash: 60,
      scriptHash: 122,
    });
    const rAddress = privateKeyToAddress(KEY, { network: ravencoin });
    expect(rAddress.startsWith('R')).toBe(true);
    await expect(client.signIn({ address: rAddress })).rejects.toMatchObject({
      code: 'wrong_network',
    });
    expect(fake.state.verifyCount).toBe(0);
  });
});

describe('sign-in abort (signIn({ signal }))', () => {
  /** A promise with its resolve exposed. */
  function gate<T = void>() {
    let open!: (value: T) => void;
    const promise = new Promise<T>((resolve) => (open = resolve));
    return { promise, open };
  }

  it('an already-aborted signal rejects with aborted before any request', async () => {
    const { client, fake, signSpy } = setup();
    const controller = new AbortController();
    controller.abort();
    const err = await client.signIn({ signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvrmoreAuthClientError);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(signSpy).not.toHaveBeenCalled();
    expect(fake.state.verifyCount).toBe(0);
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: null });
  });

  it('aborting while the wallet is asked to sign rejects at once; a late signature is dropped', async () => {
    const signature = gate<string>();
    const asked = gate();
    const local = localKeySigner({ privateKey: KEY });
    const signer = {
      getAddress: () => local.getAddress(),
      signMessage: async (message: string) => {
        asked.open();
        await signature.promise;
        return local.signMessage(message);
      },
    };
    const { client, fake } = setup({}, { signer });
    const controller = new AbortController();
    const pending = client.signIn({ signal: controller.signal }).catch((e: unknown) => e);
    await asked.promise;
    expect(client.getState().status).toBe('signing-in');
    controller.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(EvrmoreAuthClientError);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(client.getState()).toMatchObject({
      status: 'signed-out',
      reason: 'aborted',
      session: null,
      address: null,
      expiresAt: null,
    });
    signature.open('');
    await flush();
    expect(fake.state.verifyCount).toBe(0);
    expect(await client.getAccessToken()).toBeNull();
    expect(client.getState().status).toBe('signed-out');
  });

  it('aborting during /verify rejects, stores no token, and a later sign-in works', async () => {
    const { client, fake } = setup();
    const reached = gate();
    const answer = gate();
    mswServer.use(
      http.post(
        `${BASE}/verify`,
        async () => {
          reached.open();
          await answer.promise;
          return HttpResponse.json({ accessToken: 'late', tokenType: 'Bearer', expiresIn: 900 });
        },
        { once: true },
      ),
    );
    const controller = new AbortController();
    const pending = client.signIn({ signal: controller.signal }).catch((e: unknown) => e);
    await reached.promise;
    controller.abort(new Error('user closed the dialog'));
    const err = await pending;
    expect(err).toMatchObject({ code: 'aborted' });
    expect((err as Error).cause).toMatchObject({ message: 'user closed the dialog' });
    answer.open();
    await flush();
    expect(await client.getAccessToken()).toBeNull();
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'aborted' });
    expect((await client.signIn()).status).toBe('signed-in');
    expect(fake.state.verifyCount).toBe(1);
  });

  it('aborting a second sign-in keeps the session already held', async () => {
    const { client, time } = setup();
    await client.signIn();
    const controller = new AbortController();
    mswServer.use(
      http.post(`${BASE}/challenge`, async () => {
        controller.abort();
        return new Promise<never>(() => undefined);
      }),
    );
    await expect(client.signIn({ signal: controller.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
    expect(client.getState()).toMatchObject({
      status: 'signed-in',
      reason: 'aborted',
      expiresAt: time.now() + 900_000,
    });
    expect(client.getState().session?.id).toBe('sess-1');
    expect(await client.getAccessToken()).toBe('at-1');
  });
});

describe('state', () => {
  it("holds the access token's expiry (epoch ms) while signed in", async () => {
    const { client, time } = setup();
    expect(client.getState().expiresAt).toBeNull();
    const start = time.now();
    expect((await client.signIn()).expiresAt).toBe(start + 900_000);
    await time.advance(100_000);
    await client.refresh();
    expect(client.getState().expiresAt).toBe(start + 100_000 + 900_000);
    await client.signOut();
    expect(client.getState()).toMatchObject({ status: 'signed-out', expiresAt: null });
  });
});

describe('tokens and refresh', () => {
  it('50 concurrent fetch calls during expiry cause exactly one refresh', async () => {
    const { client, fake, time } = setup({ expiresIn: 900 });
    await client.signIn();
    fake.expireAccessTokens();
    await time.advance(900_000); // past expiry; the scheduled refresh fires too
    const before = fake.state.refreshCount;
    fake.expireAccessTokens();
    await time.advance(900_000);
    const responses = await Promise.all(Array.from({ length: 50 }, () => client.fetch(API)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(fake.state.refreshCount - before).toBe(1);
    const tokens = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as { token: string }).token)),
    );
    expect(tokens.size).toBe(1);
  });

  it('50 concurrent fetch calls answered 401 share one refresh and retry once each', async () => {
    const { client, fake } = setup();
    await client.signIn();
    fake.expireAccessTokens(); // server-side expiry the client cannot see
    const responses = await Promise.all(Array.from({ length: 50 }, () => client.fetch(API)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(fake.state.refreshCount).toBe(1);
    expect(fake.state.apiCount).toBe(100);
  });

  it('on a 401 refreshes once and retries once, then gives the 401 back', async () => {
    const { client, fake } = setup();
    await client.signIn();
    fake.state.apiAlways401 = true;
    const res = await client.fetch(API, { method: 'POST', body: JSON.stringify({ a: 1 }) });
    expect(res.status).toBe(401);
    expect(fake.state.refreshCount).toBe(1);
    expect(fake.state.apiCount).toBe(2);
    expect(fake.state.apiAuthHeaders).toEqual(['Bearer at-1', 'Bearer at-2']);
  });

  it('sends credentials and x-requested-with on refresh', async () => {
    const { client, fake } = setup();
    await client.signIn();
    await client.refresh();
    expect(fake.state.refreshHeaders[0]?.get('x-requested-with')).toBe('evrmore-auth');
  });

  it('uses credentials: include on every request', async () => {
    const seen: RequestCredentials[] = [];
    const { client } = setup(
      {},
      {
        fetch: (input, init) => {
          seen.push((input as Request).credentials);
          return globalThis.fetch(input, init);
        },
      },
    );
    await client.signIn();
    await client.fetch(API);
    await client.refresh();
    expect(seen.length).toBe(4);
    expect(seen.every((c) => c === 'include')).toBe(true);
  });

  it('refuses to send the token to a foreign origin', async () => {
    const { client } = setup();
    await client.signIn();
    await expect(client.fetch('https://evil.test/steal')).rejects.toMatchObject({
      code: 'origin_not_allowed',
    });
  });

  it('refreshes automatically before expiry (margin + jitter)', async () => {
    const { client, fake, time, statuses } = setup(
      { expiresIn: 900 },
      { refreshMarginMs: 60_000, refreshJitterMs: 10_000 },
    );
    await client.signIn();
    // random() = 0.5 → lead = 60 s + 5 s: refresh at 835 s.
    await time.advance(834_000);
    expect(fake.state.refreshCount).toBe(0);
    await time.advance(1_000);
    expect(fake.state.refreshCount).toBe(1);
    expect(statuses.slice(-2)).toEqual(['refreshing', 'signed-in']);
    expect(await client.getAccessToken()).toBe('at-2');
  });

  it('retries a refresh on network errors with exponential backoff', async () => {
    const { client, fake, time } = setup({}, { retries: 3, backoff: { baseMs: 1000 } });
    await client.signIn();
    fake.state.refreshNetworkFailures = 2;
    const delaysBefore = time.delays.length;
    const p = client.refresh();
    await flush();
    expect(fake.state.refreshCount).toBe(1);
    await time.advance(750); // attempt 0: delay 500..1000, random 0.5 → 750
    expect(fake.state.refreshCount).toBe(2);
    await time.advance(1500); // attempt 1: 1000..2000 → 1500
    expect(fake.state.refreshCount).toBe(3);
    expect(await p).toBe('at-2');
    const backoffDelays = time.delays.slice(delaysBefore).filter((d) => d < 10_000);
    expect(backoffDelays).toEqual([750, 1500]);
    expect(client.getState().status).toBe('signed-in');
  });

  it('gives up after the bounded retries: error state network_error, token kept while valid', async () => {
    const { client, fake, time } = setup({}, { retries: 2, backoff: { baseMs: 100 } });
    await client.signIn();
    fake.state.refreshNetworkFailures = 10;
    const p = client.refresh();
    for (let i = 0; i < 5; i++) await time.advance(1_000);
    expect(await p).toBe('at-1');
    expect(fake.state.refreshCount).toBe(3);
    expect(client.getState()).toMatchObject({ status: 'error', reason: 'network_error' });
  });

  it.each(['refresh_reused', 'token_revoked', 'refresh_invalid'] as const)(
    'a %s answer signs out and says why',
    async (code) => {
      const { client, fake } = setup();
      await client.signIn();
      fake.state.refreshProblem = code;
      expect(await client.refresh()).toBeNull();
      expect(client.getState()).toMatchObject({ status: 'signed-out', reason: code });
      expect(await client.getAccessToken()).toBeNull();
    },
  );

  it('restore(): one silent refresh brings the session back', async () => {
    const { client, fake, statuses } = setup();
    fake.state.hasRefreshCookie = true;
    const state = await client.restore();
    expect(state.status).toBe('signed-in');
    expect(fake.state.refreshCount).toBe(1);
    expect(statuses).toEqual(['refreshing', 'signed-in']);
  });

  it('restore() without a session ends signed-out with reason no-session', async () => {
    const { client } = setup();
    const state = await client.restore();
    expect(state).toMatchObject({ status: 'signed-out', reason: 'no-session' });
  });

  it('restores on creation when restore: true', async () => {
    const fake = createFakeServer();
    fake.state.hasRefreshCookie = true;
    mswServer.use(...fake.handlers);
    const client = createAuthClient({
      baseUrl: BASE,
      restore: true,
      tabSync: false,
      document: null,
      window: null,
    });
    expect(client.getState().status).toBe('refreshing');
    await flush();
    expect(client.getState().status).toBe('signed-in');
    expect(fake.state.refreshCount).toBe(1);
    client.destroy();
  });

  it('refreshes on visibilitychange → visible and on online when due', async () => {
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const win = new EventTarget();
    const { client, fake, time } = setup({}, { document: doc, window: win });
    await client.signIn();
    doc.visibilityState = 'visible';
    doc.dispatchEvent(new Event('visibilitychange'));
    await flush();
    expect(fake.state.refreshCount).toBe(0); // not due yet: nothing happens
    time.skip(850_000); // slept past the refresh time; the timer did not run
    doc.dispatchEvent(new Event('visibilitychange'));
    await flush();
    expect(fake.state.refreshCount).toBe(1);
    time.skip(850_000);
    win.dispatchEvent(new Event('online'));
    await flush();
    expect(fake.state.refreshCount).toBe(2);
    expect(await client.getAccessToken()).toBe('at-3');
  });
});

describe('session hint cookie (no /refresh for anonymous visitors)', () => {
  /** A page's document with `cookie`, as the client reads it. */
  const page = (cookie: string) =>
    Object.assign(new EventTarget(), { visibilityState: 'visible', cookie });

  function boot(cookie: string, extra: Partial<AuthClientOptions> = {}) {
    const fake = createFakeServer();
    fake.state.hasRefreshCookie = true; // a refresh would succeed: the hint alone decides
    mswServer.use(...fake.handlers);
    const client = createAuthClient({
      baseUrl: BASE,
      restore: true,
      tabSync: false,
      document: page(cookie),
      window: null,
      ...extra,
    });
    return { fake, client };
  }

  it('without the hint, a page load goes signed-out (no-session) and sends no request', async () => {
    const { fake, client } = boot('theme=dark; other=1');
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'no-session' });
    await flush();
    expect(fake.state.refreshCount).toBe(0);
    expect(await client.restore()).toMatchObject({ status: 'signed-out', reason: 'no-session' });
    expect(fake.state.refreshCount).toBe(0);
    client.destroy();
  });

  it('with the hint, the page load restores with one refresh', async () => {
    const { fake, client } = boot('theme=dark; evrmore_auth_hint=1');
    expect(client.getState().status).toBe('refreshing');
    await flush();
    expect(client.getState().status).toBe('signed-in');
    expect(fake.state.refreshCount).toBe(1);
    client.destroy();
  });

  it('honours a custom hint name, and false (always refresh)', async () => {
    const custom = boot('my_hint=1', { sessionHintCookie: 'my_hint' });
    await flush();
    expect(custom.client.getState().status).toBe('signed-in');
    custom.client.destroy();
    const off = boot('', { sessionHintCookie: false });
    await flush();
    expect(off.client.getState().status).toBe('signed-in');
    expect(off.fake.state.refreshCount).toBe(1);
    off.client.destroy();
    expect(() => boot('', { sessionHintCookie: '' })).toThrow(TypeError);
    expect(() => boot('', { sessionHintCookie: 'a=b' })).toThrow(TypeError);
  });

  it('reads the hint when the API is on the page host (any port), refreshes when on another host', async () => {
    const at = (hostname: string, port: string) => ({
      href: `https://${hostname}:${port}/`,
      host: `${hostname}:${port}`,
      hostname,
      origin: `https://${hostname}:${port}`,
    });
    vi.stubGlobal('location', at('app.test', '5173'));
    try {
      const samehost = boot('');
      await flush();
      expect(samehost.client.getState()).toMatchObject({
        status: 'signed-out',
        reason: 'no-session',
      });
      expect(samehost.fake.state.refreshCount).toBe(0);
      samehost.client.destroy();
      vi.stubGlobal('location', at('www.other.test', '443'));
      const otherHost = boot('');
      await flush();
      expect(otherHost.client.getState().status).toBe('signed-in');
      expect(otherHost.fake.state.refreshCount).toBe(1);
      otherHost.client.destroy();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('offline restore', () => {
  it('a restore that fails offline is retried on the online event', async () => {
    const win = new EventTarget();
    const { client, fake, time } = setup({}, { window: win, retries: 1, backoff: { baseMs: 10 } });
    fake.state.hasRefreshCookie = true;
    fake.state.refreshNetworkFailures = 2;
    const restoring = client.restore();
    for (let i = 0; i < 5; i++) await time.advance(100);
    expect(await restoring).toMatchObject({ status: 'error', reason: 'network_error' });
    win.dispatchEvent(new Event('online'));
    await flush();
    expect(client.getState().status).toBe('signed-in');
    expect(fake.state.refreshCount).toBe(3);
  });
});

describe('sessions and sign-out', () => {
  it('lists, revokes one, revokes others', async () => {
    const { client, fake } = setup();
    await client.signIn();
    const sessions = await client.listSessions();
    expect(sessions.map((s) => [s.id, s.current === true])).toEqual([
      ['sess-1', true],
      ['sess-2', false],
    ]);
    expect((await client.getSession()).id).toBe('sess-1');
    await client.revokeSession('sess-2');
    await client.revokeOtherSessions();
    expect(fake.state.deleted).toEqual(['sess-2', 'scope=others']);
    expect(client.getState().status).toBe('signed-in');
    await client.revokeSession('sess-1');
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'user' });
  });

  it('refuses session calls while signed out', async () => {
    const { client } = setup();
    await expect(client.listSessions()).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('signOut revokes on the server with the bearer token and forgets it', async () => {
    const { client, fake, statuses } = setup();
    await client.signIn();
    await client.signOut();
    expect(fake.state.logoutCount).toBe(1);
    expect(statuses.at(-1)).toBe('signed-out');
    expect(client.getState().reason).toBe('user');
    expect(await client.getAccessToken()).toBeNull();
  });

  it('signOut still signs out locally when the server is unreachable', async () => {
    const { client } = setup();
    await client.signIn();
    mswServer.use(http.post(`${BASE}/logout`, () => HttpResponse.error()));
    await client.signOut();
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'user' });
  });
});

describe('multi-tab', () => {
  function tabs(locksEnabled: boolean) {
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    const time = createFakeTime();
    const bc = createFakeBroadcast();
    const locks = createFakeLocks();
    const lockA = locks.tab();
    const lockB = locks.tab();
    const make = (tab: typeof lockA) =>
      createAuthClient({
        baseUrl: BASE,
        signer: localKeySigner({ privateKey: KEY }),
        now: time.now,
        timers: time.timers,
        random: () => 0.5,
        restore: false,
        document: null,
        window: null,
        tabSync: 'test-tabs',
        locks: locksEnabled ? tab.locks : null,
        createChannel: bc.create,
      });
    return { fake, time, bc, locks, lockA, lockB, a: make(lockA), b: make(lockB) };
  }

  it('sign-in in one tab hands the token to the other', async () => {
    const { a, b } = tabs(true);
    await a.signIn();
    await flush();
    expect(b.getState().status).toBe('signed-in');
    expect(await b.getAccessToken()).toBe('at-1');
  });

  it('two tabs refreshing at once cause one refresh request; no listener runs under the lock', async () => {
    const { a, b, fake, locks, lockA, lockB } = tabs(true);
    const calledUnderLock: boolean[] = [];
    a.subscribe(() => calledUnderLock.push(lockA.held));
    b.subscribe(() => calledUnderLock.push(lockB.held));
    await a.signIn();
    await flush();
    const [ta, tb] = await Promise.all([a.refresh(), b.refresh()]);
    expect(fake.state.refreshCount).toBe(1);
    expect(ta).toBe('at-2');
    expect(tb).toBe('at-2');
    expect(locks.shared.requests).toBe(2);
    expect(calledUnderLock.length).toBeGreaterThan(3);
    expect(calledUnderLock.every((held) => !held)).toBe(true);
  });

  it('sign-out in one tab signs out the other', async () => {
    const { a, b } = tabs(true);
    await a.signIn();
    await flush();
    await a.signOut();
    await flush();
    expect(b.getState()).toMatchObject({ status: 'signed-out', reason: 'other-tab' });
    expect(await b.getAccessToken()).toBeNull();
  });

  it('a refresh_reused in one tab signs out every tab', async () => {
    const { a, b, fake } = tabs(true);
    await a.signIn();
    await flush();
    fake.state.refreshProblem = 'refresh_reused';
    await a.refresh();
    await flush();
    expect(a.getState().reason).toBe('refresh_reused');
    expect(b.getState()).toMatchObject({ status: 'signed-out', reason: 'other-tab' });
  });

  it('without Web Locks the other tab adopts the broadcast token and reschedules', async () => {
    const { a, b, fake, time } = tabs(false);
    await a.signIn();
    await flush();
    await a.refresh();
    await flush();
    expect(await b.getAccessToken()).toBe('at-2');
    expect(fake.state.refreshCount).toBe(1);
    // Both tabs scheduled the next refresh from the same expiry; the first to fire hands over.
    await time.advance(835_000);
    await flush();
    expect(await b.getAccessToken()).toBe(await a.getAccessToken());
  });

  it("with Web Locks, a tab granted the lock before the peer's token arrives waits for it (one refresh)", async () => {
    const { a, b, bc, fake } = tabs(true);
    await a.signIn();
    await flush();
    // The lock and BroadcastChannel are not ordered: hold a's token back past its lock release.
    bc.holdBack((m) => (m as { type?: string }).type === 'tokens');
    const pa = a.refresh();
    await Promise.resolve(); // a's 'refreshing' announcement reaches b
    await Promise.resolve();
    const pb = b.refresh(); // queued behind a's lock
    expect(await pa).toBe('at-2');
    await flush(); // a released the lock; b holds it now, a's token still on its way
    expect(fake.state.refreshCount).toBe(1);
    bc.release();
    expect(await pb).toBe('at-2');
    expect(fake.state.refreshCount).toBe(1);
  });

  it('without Web Locks a tab waits for the refresh another tab announced (BroadcastChannel fallback)', async () => {
    const { a, b, fake } = tabs(false);
    await a.signIn();
    await flush();
    const pa = a.refresh();
    await Promise.resolve(); // a's 'refreshing' announcement reaches b
    await Promise.resolve();
    const pb = b.refresh();
    expect(await pa).toBe('at-2');
    expect(await pb).toBe('at-2');
    expect(fake.state.refreshCount).toBe(1);
  });

  it('refreshes without the lock when the wait for it times out', async () => {
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    fake.state.hasRefreshCookie = true;
    const stuck = {
      request: (_n: string, o: { signal?: AbortSignal }) =>
        new Promise<never>((_r, reject) =>
          o.signal?.addEventListener('abort', () => reject(new DOMException('t', 'AbortError'))),
        ),
    };
    const client = createAuthClient({
      baseUrl: BASE,
      restore: false,
      document: null,
      window: null,
      tabSync: 'stuck',
      locks: stuck,
      createChannel: null,
      lockTimeoutMs: 5,
    });
    expect(await client.refresh()).toBe('at-1');
  });
});

describe('configuration', () => {
  it('validates options up front', () => {
    expect(() => createAuthClient({ baseUrl: '' })).toThrow(
      'createAuthClient: baseUrl must be a non-empty string',
    );
    expect(() => createAuthClient({ baseUrl: '/auth' })).toThrow(
      'createAuthClient: baseUrl must be an absolute URL (or a path, in a browser)',
    );
    expect(() => createAuthClient({ baseUrl: BASE, signer: {} as never, restore: false })).toThrow(
      'createAuthClient: signer must have getAddress() and signMessage()',
    );
    expect(() => createAuthClient({ baseUrl: BASE, refreshMarginMs: -1 })).toThrow(
      'createAuthClient: refreshMarginMs must be a non-negative number',
    );
  });
});
