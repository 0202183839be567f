import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import { IDBFactory } from 'fake-indexeddb';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  jwtVerify,
} from 'jose';
import { createAuthClient, type AuthClientOptions, type ClientTimers } from '../client.js';
import { createAuthKy } from '../ky.js';
import type { BroadcastChannelLike } from '../tab-sync.js';
import { localKeySigner } from '../signers/local-key.js';
import {
  API,
  BASE,
  createFakeBroadcast,
  createFakeLocks,
  createFakeServer,
  flush,
  type ReceivedProof,
} from '../testing/fake-auth-server.js';
import { browserDpopKey, dpopKeyFromPair, memoryDpopKey, type DpopKey } from './index.js';

const KEY = '42'.repeat(32);
const OTHER_API = 'https://data.test/v1/items';
const mswServer = setupServer();
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());

const sha256 = async (text: string): Promise<string> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', Buffer.from(text))).toString('base64url');

function setup(dpop: DpopKey = memoryDpopKey(), options: Partial<AuthClientOptions> = {}) {
  const fake = createFakeServer({ mfaCode: '654321' });
  mswServer.use(...fake.handlers);
  const client = createAuthClient({
    baseUrl: BASE,
    signer: localKeySigner({ privateKey: KEY }),
    dpop,
    tabSync: false,
    restore: false,
    document: null,
    window: null,
    ...options,
  });
  return { fake, client, dpop };
}

/**
 * Hold the next `POST /verify` at the server until `release()`: `atServer` resolves, once it
 * arrives, to the thumbprint of its proof's key.
 */
function holdVerify(): { atServer: Promise<string>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let arrived!: (jkt: string) => void;
  const atServer = new Promise<string>((resolve) => (arrived = resolve));
  mswServer.use(
    http.post(
      `${BASE}/verify`,
      async ({ request }) => {
        arrived(
          await calculateJwkThumbprint(decodeProtectedHeader(request.headers.get('dpop')!).jwk!),
        );
        await released;
      },
      { once: true },
    ),
  );
  return { atServer, release };
}

/** The proofs received for `method url`. */
const proofsFor = (proofs: ReceivedProof[], method: string, url: string) =>
  proofs.filter((p) => p.method === method && p.url === url);

describe('DPoP proofs', () => {
  it('goes on verify, refresh and auth.fetch with the right htm, htu and ath, all from one key', async () => {
    const { client, fake, dpop } = setup();
    const state = await client.signIn();
    expect(state).toMatchObject({ status: 'signed-in', tokenType: 'DPoP' });
    const token = (await client.getAccessToken())!;
    expect(fake.boundTo(token)).toBe(await dpop.thumbprint());

    const res = await client.fetch(`${API}?page=2#top`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(fake.state.apiAuthHeaders.at(-1)).toBe(`DPoP ${token}`);
    await client.refresh();
    const next = (await client.getAccessToken())!;
    expect(next).not.toBe(token);
    expect((await client.fetch(API)).status).toBe(200);

    const [verify] = proofsFor(fake.state.proofs, 'POST', `${BASE}/verify`);
    expect(verify!.payload).toMatchObject({ htm: 'POST', htu: `${BASE}/verify` });
    expect(verify!.payload.ath).toBeUndefined();
    const [refresh] = proofsFor(fake.state.proofs, 'POST', `${BASE}/refresh`);
    expect(refresh!.payload).toMatchObject({ htm: 'POST', htu: `${BASE}/refresh` });
    expect(refresh!.payload.ath).toBeUndefined();
    const [post] = proofsFor(fake.state.proofs, 'POST', `${API}?page=2#top`);
    // htu without query and fragment, ath of the token the request carries.
    expect(post!.payload).toMatchObject({ htm: 'POST', htu: API, ath: await sha256(token) });
    const [get] = proofsFor(fake.state.proofs, 'GET', API);
    expect(get!.payload).toMatchObject({ htm: 'GET', htu: API, ath: await sha256(next) });

    // Independently verified (jose, EmbeddedJWK, typ dpop+jwt) and one stable thumbprint.
    expect(fake.state.proofs).toHaveLength(4);
    expect(new Set(fake.state.proofs.map((p) => p.jkt))).toEqual(
      new Set([await dpop.thumbprint()]),
    );
    expect(new Set(fake.state.proofs.map((p) => p.payload.jti)).size).toBe(4);
  });

  it('goes on /mfa/verify', async () => {
    const { client, fake } = setup();
    fake.state.mfaEnrolled = true;
    expect((await client.signIn()).status).toBe('mfa-required');
    expect(await client.verifyMfa('654321')).toMatchObject({ tokenType: 'DPoP' });
    const [mfa] = proofsFor(fake.state.proofs, 'POST', `${BASE}/mfa/verify`);
    expect(mfa!.payload).toMatchObject({ htm: 'POST', htu: `${BASE}/mfa/verify` });
  });

  it('proof() verifies with jose on its own, for any request', async () => {
    const key = memoryDpopKey();
    const proof = await key.proof('PUT', 'https://x.test/a/b?q=1#f', { accessToken: 'tok' });
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      htm: 'PUT',
      htu: 'https://x.test/a/b',
      ath: await sha256('tok'),
    });
    expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk!)).toBe(
      await key.thumbprint(),
    );
  });

  it('follows the server: a Bearer answer (DPoP off) means Bearer on auth.fetch, no proof', async () => {
    const { client, fake } = setup();
    fake.state.dpopOff = true;
    expect(await client.signIn()).toMatchObject({ tokenType: 'Bearer' });
    await client.fetch(API);
    expect(fake.state.apiAuthHeaders.at(-1)).toBe('Bearer at-1');
    expect(proofsFor(fake.state.proofs, 'GET', API)).toHaveLength(0);
  });
});

describe('DPoP nonces', () => {
  it('retries a token request once with the nonce, then remembers it', async () => {
    const { client, fake } = setup();
    fake.state.dpopNonce = 'n-1';
    expect((await client.signIn()).status).toBe('signed-in');
    expect(fake.state.verifyCount).toBe(2);
    expect(fake.state.nonceRefusals).toBe(1);
    const verifies = proofsFor(fake.state.proofs, 'POST', `${BASE}/verify`);
    expect(verifies.map((p) => p.payload.nonce)).toEqual([undefined, 'n-1']);
    await client.refresh();
    await client.fetch(API);
    // The remembered nonce goes on the next proofs: no second refusal.
    expect(fake.state.nonceRefusals).toBe(1);
    expect(fake.state.proofs.at(-1)!.payload.nonce).toBe('n-1');
  });

  it('retries a resource request once on 401 WWW-Authenticate use_dpop_nonce', async () => {
    const { client, fake } = setup();
    await client.signIn();
    fake.state.dpopNonce = 'n-api';
    const res = await client.fetch(API, { method: 'POST', body: 'kept' });
    expect(res.status).toBe(200);
    expect(fake.state.nonceRefusals).toBe(1);
    expect(fake.state.apiCount).toBe(2);
    expect(fake.state.refreshCount).toBe(0);
  });

  it('takes a fresh nonce from any answer', async () => {
    const { client, fake } = setup();
    fake.state.advertiseNonce = 'n-next';
    await client.signIn();
    fake.state.dpopNonce = 'n-next';
    expect((await client.fetch(API)).status).toBe(200);
    expect(fake.state.nonceRefusals).toBe(0);
  });

  it('remembers nonces of at most 16 origins, and only well-formed ones', async () => {
    const key = memoryDpopKey();
    const answer = (nonce: string) => async () =>
      new Response(null, { status: 204, headers: { 'dpop-nonce': nonce } });
    const nonceOf = async (url: string) =>
      decodeJwt(await key.proof('GET', url)).nonce as string | undefined;
    for (let i = 0; i < 20; i++)
      await key.send(new Request(`https://o${i}.test/x`), null, answer(`n${i}`));
    expect(await nonceOf('https://o19.test/y')).toBe('n19');
    expect(await nonceOf('https://o4.test/y')).toBe('n4');
    expect(await nonceOf('https://o3.test/y')).toBeUndefined();
    await key.send(new Request('https://o19.test/x'), null, answer('bad "nonce"'));
    await key.send(new Request('https://o19.test/x'), null, answer('n'.repeat(1025)));
    expect(await nonceOf('https://o19.test/y')).toBe('n19');
  });

  it('a second use_dpop_nonce is an error, not a loop', async () => {
    const { client } = setup();
    let verifies = 0;
    mswServer.use(
      http.post(`${BASE}/verify`, () => {
        verifies++;
        return HttpResponse.json(
          { type: 'about:blank', title: 'nonce', status: 400, code: 'use_dpop_nonce' },
          {
            status: 400,
            headers: { 'content-type': 'application/problem+json', 'dpop-nonce': `n-${verifies}` },
          },
        );
      }),
    );
    await expect(client.signIn()).rejects.toMatchObject({ status: 400 });
    expect(verifies).toBe(2);
    expect(client.getState().status).toBe('error');
  });

  it('a resource refusing the proof (dpop_key_mismatch) is returned as is: no refresh, no loop', async () => {
    const { client, fake } = setup();
    await client.signIn();
    mswServer.use(
      http.get(API, () =>
        HttpResponse.json(
          { type: 'about:blank', title: 'mismatch', status: 401, code: 'dpop_key_mismatch' },
          { status: 401, headers: { 'content-type': 'application/problem+json' } },
        ),
      ),
    );
    expect((await client.fetch(API)).status).toBe(401);
    expect(fake.state.refreshCount).toBe(0);
  });
});

describe('DPoP origins', () => {
  it('sends neither token nor proof to an unlisted origin', async () => {
    const { client, fake } = setup();
    let reached = false;
    mswServer.use(http.all('https://evil.test/*', () => ((reached = true), HttpResponse.json({}))));
    await client.signIn();
    const before = fake.state.proofs.length;
    await expect(client.fetch('https://evil.test/steal')).rejects.toMatchObject({
      code: 'origin_not_allowed',
    });
    expect(reached).toBe(false);
    expect(fake.state.proofs.length).toBe(before);
  });

  it('sends the DPoP token and a proof for that origin to a listed one (allowedOrigins)', async () => {
    const { client, dpop } = setup(memoryDpopKey(), { allowedOrigins: ['https://data.test'] });
    const seen: { authorization: string | null; proof: string | null }[] = [];
    mswServer.use(
      http.get(OTHER_API, ({ request }) => {
        seen.push({
          authorization: request.headers.get('authorization'),
          proof: request.headers.get('dpop'),
        });
        return HttpResponse.json({ ok: true });
      }),
    );
    await client.signIn();
    const token = (await client.getAccessToken())!;
    expect((await client.fetch(`${OTHER_API}?x=1`)).status).toBe(200);
    expect(seen[0]!.authorization).toBe(`DPoP ${token}`);
    const { payload, protectedHeader } = await jwtVerify(seen[0]!.proof!, EmbeddedJWK, {
      typ: 'dpop+jwt',
    });
    expect(payload).toMatchObject({ htm: 'GET', htu: OTHER_API, ath: await sha256(token) });
    expect(await calculateJwkThumbprint(protectedHeader.jwk!)).toBe(await dpop.thumbprint());
  });
});

/**
 * Whether this runtime's fetch `Request` keeps a credentials mode (browsers, Node, Deno). Bun's
 * reports 'include' whatever it was given (its fetch sends no ambient cookies), so a test cannot
 * observe the mode there; the Chromium test (test/e2e/dpop) checks the cookies a browser sends.
 */
const requestKeepsCredentials =
  new Request('https://x.test/', { credentials: 'omit' }).credentials === 'omit';

describe('credentials per origin', () => {
  const LEGACY_API = 'https://legacy.test/v1/items';

  /** The credentials mode of every request msw sees, as `origin credentials`. */
  function recordCredentials(): string[] {
    const seen: string[] = [];
    const record = ({ request }: { request: Request }): void => {
      seen.push(`${new URL(request.url).origin} ${request.credentials}`);
    };
    mswServer.events.on('request:start', record);
    onTestFinished(() => mswServer.events.removeListener('request:start', record));
    mswServer.use(
      http.get(OTHER_API, () => HttpResponse.json({ ok: true })),
      http.get(LEGACY_API, () => HttpResponse.json({ ok: true })),
    );
    return seen;
  }

  it.skipIf(!requestKeepsCredentials)(
    "omits cookies to a listed origin, includes them where asked and to baseUrl's origin",
    async () => {
      const { client } = setup(memoryDpopKey(), {
        allowedOrigins: [
          'https://data.test',
          { origin: 'https://legacy.test', credentials: 'include' },
        ],
      });
      await client.signIn();
      const seen = recordCredentials();
      expect((await client.fetch(OTHER_API)).status).toBe(200);
      expect((await client.fetch(LEGACY_API)).status).toBe(200);
      expect((await client.fetch(API)).status).toBe(200);
      await client.refresh();
      expect(seen).toEqual([
        'https://data.test omit',
        'https://legacy.test include',
        'https://app.test include',
        'https://app.test include',
      ]);
      // A caller's own mode does not override the origin's.
      await client.fetch(OTHER_API, { credentials: 'include' });
      expect(seen.at(-1)).toBe('https://data.test omit');
    },
  );

  it.skipIf(!requestKeepsCredentials)(
    "sends the page's origin cookies unless it is listed with 'omit'",
    async () => {
      const PAGE_API = 'https://page.test/api';
      const page = { href: 'https://page.test/', host: 'page.test', hostname: 'page.test' };
      vi.stubGlobal('location', { ...page, origin: 'https://page.test' });
      onTestFinished(() => {
        vi.unstubAllGlobals();
      });
      const pageCheck = { expectedDomain: 'app.test', expectedUri: 'https://app.test' };
      const seen = recordCredentials();
      mswServer.use(http.get(PAGE_API, () => HttpResponse.json({ ok: true })));
      const plain = setup(memoryDpopKey(), pageCheck).client;
      await plain.signIn();
      await plain.fetch(PAGE_API);
      const listed = setup(memoryDpopKey(), {
        ...pageCheck,
        allowedOrigins: [{ origin: 'https://page.test', credentials: 'omit' }],
      }).client;
      await listed.signIn();
      await listed.fetch(PAGE_API);
      expect(seen.filter((s) => s.startsWith('https://page.test'))).toEqual([
        'https://page.test include',
        'https://page.test omit',
      ]);
    },
  );

  it.skipIf(!requestKeepsCredentials)('the ky wrapper sends each origin its mode', async () => {
    const { client } = setup(memoryDpopKey(), { allowedOrigins: ['https://data.test'] });
    await client.signIn();
    const seen = recordCredentials();
    const api = createAuthKy(client, { retry: 0 });
    await api.get(OTHER_API).json();
    await api.get(API).json();
    expect(seen).toEqual(['https://data.test omit', 'https://app.test include']);
  });

  it('refuses a malformed entry, and cookies withheld from the auth server, with a TypeError', () => {
    const make = (allowedOrigins: unknown) => () =>
      setup(memoryDpopKey(), {
        allowedOrigins: allowedOrigins as AuthClientOptions['allowedOrigins'],
      });
    expect(make([{ origin: 'https://app.test', credentials: 'omit' }])).toThrow(
      "baseUrl's origin always gets credentials",
    );
    expect(make([{ origin: 'https://data.test', credentials: 'same-origin' }])).toThrow(TypeError);
    expect(make([null])).toThrow(TypeError);
    expect(make('https://data.test')).toThrow(TypeError);
    expect(make([{ origin: 'https://app.test', credentials: 'include' }])).not.toThrow();
  });
});

describe('DPoP keys', () => {
  it('rotates the key on sign-out: the next session is bound to a new key', async () => {
    const { client, fake, dpop } = setup();
    await client.signIn();
    const first = await dpop.thumbprint();
    await client.signOut();
    expect(fake.state.logoutCount).toBe(1);
    expect(proofsFor(fake.state.proofs, 'POST', `${BASE}/logout`)[0]!.jkt).toBe(first);
    const second = await dpop.thumbprint();
    expect(second).not.toBe(first);
    await client.signIn();
    expect(fake.boundTo((await client.getAccessToken())!)).toBe(second);
  });

  it('a sign-out while its own sign-in is at the server: the session that sign-in makes stays usable', async () => {
    const { client, fake, dpop } = setup();
    const { atServer, release } = holdVerify();
    const signingIn = client.signIn();
    const proved = await atServer;
    expect(await dpop.thumbprint()).toBe(proved);
    await client.signOut();
    expect(await dpop.thumbprint()).not.toBe(proved);
    release();
    await signingIn;
    expect(fake.boundTo((await client.getAccessToken())!)).toBe(proved);
    expect(await dpop.thumbprint()).toBe(proved);
    expect((await client.fetch(API)).status).toBe(200);
  });

  it('a refresh refused with dpop_key_mismatch (the key was lost) signs out', async () => {
    const indexedDB = new IDBFactory();
    const { client, fake } = setup(browserDpopKey({ indexedDB }));
    await client.signIn();
    // Site data cleared: a new page load makes a new key, the session is bound to the old one.
    const reloaded = createAuthClient({
      baseUrl: BASE,
      signer: localKeySigner({ privateKey: KEY }),
      dpop: browserDpopKey({ indexedDB: new IDBFactory() }),
      tabSync: false,
      restore: false,
      document: null,
      window: null,
    });
    expect(await reloaded.refresh()).toBeNull();
    expect(reloaded.getState()).toMatchObject({
      status: 'signed-out',
      reason: 'dpop_key_mismatch',
    });
    expect(fake.state.refreshCount).toBe(1);
  });

  it('memoryDpopKey makes a non-extractable private key', async () => {
    const key = memoryDpopKey();
    const proof = await key.proof('GET', 'https://x.test/');
    expect(proof.split('.')).toHaveLength(3);
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    const fixed = dpopKeyFromPair(pair);
    const before = await fixed.thumbprint();
    await fixed.rotate();
    expect(await fixed.thumbprint()).toBe(before);
    expect(() => dpopKeyFromPair({} as CryptoKeyPair)).toThrow(TypeError);
  });

  it('browserDpopKey keeps a non-extractable CryptoKeyPair (the key only) in IndexedDB', async () => {
    const indexedDB = new IDBFactory();
    const key = browserDpopKey({ indexedDB });
    const thumbprint = await key.thumbprint();
    // A reload: another instance over the same database reads the same key.
    expect(await browserDpopKey({ indexedDB }).thumbprint()).toBe(thumbprint);
    const stored = await readRecord(indexedDB, 'evrmore-auth-dpop', 'default');
    expect(Object.keys(stored).sort()).toEqual(['privateKey', 'publicKey']);
    const { privateKey } = stored as CryptoKeyPair;
    expect(privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', privateKey)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('jwk', privateKey)).rejects.toThrow();
    // Another name is another key.
    expect(await browserDpopKey({ indexedDB, name: 'other' }).thumbprint()).not.toBe(thumbprint);
  });

  it('browserDpopKey: rotation replaces the stored key; tabs creating at once agree on one', async () => {
    const indexedDB = new IDBFactory();
    const tabs = [browserDpopKey({ indexedDB }), browserDpopKey({ indexedDB })];
    const [a, b] = await Promise.all(tabs.map((t) => t.thumbprint()));
    expect(a).toBe(b);
    await tabs[0]!.rotate();
    const rotated = await tabs[0]!.thumbprint();
    expect(rotated).not.toBe(a);
    expect(await tabs[1]!.thumbprint()).toBe(a); // held in memory until told
    tabs[1]!.reload();
    expect(await tabs[1]!.thumbprint()).toBe(rotated);
  });

  it('browserDpopKey without IndexedDB fails at first use with a clear error', async () => {
    const key = browserDpopKey();
    await expect(key.thumbprint()).rejects.toThrow('IndexedDB is not available');
    expect(() => browserDpopKey({ name: '' })).toThrow(TypeError);
  });
});

/** A tab's client: the test wallet, no page of its own, `dpop` its key, `options` its channel
 *  and locks (and timers). */
function tabClient(
  dpop: DpopKey,
  options: Pick<AuthClientOptions, 'createChannel' | 'locks'> & Partial<AuthClientOptions>,
) {
  return createAuthClient({
    baseUrl: BASE,
    signer: localKeySigner({ privateKey: KEY }),
    dpop,
    restore: false,
    document: null,
    window: null,
    ...options,
  });
}

describe('DPoP across tabs', () => {
  it('tabs share the IndexedDB key: one refreshes, the other fetches; a sign-out rotates it for both', async () => {
    const indexedDB = new IDBFactory();
    const broadcast = createFakeBroadcast();
    const locks = createFakeLocks();
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    const tab = () =>
      tabClient(browserDpopKey({ indexedDB }), {
        createChannel: broadcast.create,
        locks: locks.tab().locks,
      });
    const a = tab();
    const b = tab();
    await a.signIn();
    await flush();
    expect(b.getState()).toMatchObject({ status: 'signed-in', tokenType: 'DPoP' });
    await a.refresh();
    await flush();
    expect((await b.fetch(API)).status).toBe(200);
    const first = fake.state.proofs[0]!.jkt;
    expect(new Set(fake.state.proofs.map((p) => p.jkt))).toEqual(new Set([first]));

    await a.signOut();
    await flush();
    expect(b.getState().status).toBe('signed-out');
    await b.signIn();
    await flush();
    const second = fake.state.proofs.at(-1)!.jkt;
    expect(second).not.toBe(first);
    expect((await a.fetch(API)).status).toBe(200);
    expect(fake.state.proofs.at(-1)!.jkt).toBe(second);
    a.destroy();
    b.destroy();
  });

  it("a tab told of another tab's sign-out makes its next proof with the new key, not the one being replaced", async () => {
    const indexedDB = new IDBFactory();
    // Tabs are separate event loops: the told tab can react before the signing-out tab has made
    // its IndexedDB request. This channel models that by delivering inside postMessage.
    const createChannel = instantBroadcast();
    const locks = createFakeLocks();
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    const keys: DpopKey[] = [];
    const tab = () => {
      const dpop = browserDpopKey({ indexedDB });
      keys.push(dpop);
      return tabClient(dpop, { createChannel, locks: locks.tab().locks });
    };
    const [a, b] = [tab(), tab()];
    await a.signIn();
    await flush();
    expect((await b.fetch(API)).status).toBe(200); // b has read the shared key
    const old = await keys[1]!.thumbprint();
    let proofAfterSignOut: Promise<string> | null = null;
    b.subscribe((state) => {
      if (state.status === 'signed-out')
        proofAfterSignOut ??= keys[1]!.proof('POST', `${BASE}/verify`);
    });
    await a.signOut();
    const proof = await proofAfterSignOut!;
    const stored = await browserDpopKey({ indexedDB }).thumbprint();
    expect(stored).not.toBe(old);
    expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk!)).toBe(stored);
    expect(await keys[1]!.thumbprint()).toBe(stored);
    expect(await keys[0]!.thumbprint()).toBe(stored);
    a.destroy();
    b.destroy();
  });

  it("a sign-in whose proof went out before another tab's sign-out keeps its key: every tab proves with it", async () => {
    const indexedDB = new IDBFactory();
    const broadcast = createFakeBroadcast();
    const locks = createFakeLocks();
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    // a's /verify waits at the server until b has signed out and replaced the key.
    const { atServer, release } = holdVerify();
    const keys: DpopKey[] = [];
    const tab = () => {
      const dpop = browserDpopKey({ indexedDB });
      keys.push(dpop);
      return tabClient(dpop, { createChannel: broadcast.create, locks: locks.tab().locks });
    };
    const [a, b, c] = [tab(), tab(), tab()];
    const signingIn = a.signIn();
    const bound = await atServer;
    await b.signOut();
    await flush();
    // c reads the new key meanwhile (a proof of its own, say); it must drop it again.
    const replacement = await keys[2]!.thumbprint();
    expect(replacement).not.toBe(bound);
    release();
    await signingIn;
    await flush();
    for (const t of [a, b, c]) {
      expect(t.getState()).toMatchObject({ status: 'signed-in', tokenType: 'DPoP' });
      expect((await t.fetch(API)).status).toBe(200);
      expect(fake.state.proofs.at(-1)!.jkt).toBe(bound);
    }
    expect(await c.refresh()).not.toBeNull();
    expect(fake.state.proofs.at(-1)!.jkt).toBe(bound);
    // Stored for the tabs opened next, and for a reload.
    expect(await browserDpopKey({ indexedDB }).thumbprint()).toBe(bound);
    for (const t of [a, b, c]) t.destroy();
  });

  it('a tab closed mid-rotation (no key-rotated) holds the next proof 2 s, then reads the stored key', async () => {
    const indexedDB = new IDBFactory();
    const broadcast = createFakeBroadcast();
    broadcast.holdBack((data) => (data as { type?: string }).type === 'key-rotated');
    const fake = createFakeServer();
    mswServer.use(...fake.handlers);
    // b's rotation wait (2000 ms) is held here, its other timers run for real.
    const held: (() => void)[] = [];
    const timers: ClientTimers = {
      setTimeout: (fn, ms) => (ms === 2000 ? held.push(fn) : setTimeout(fn, ms)),
      clearTimeout: (h) => {
        if (typeof h !== 'number') clearTimeout(h as ReturnType<typeof setTimeout>);
      },
    };
    const keyB = browserDpopKey({ indexedDB });
    const tab = (dpop: DpopKey, extra: Partial<AuthClientOptions> = {}) =>
      tabClient(dpop, { createChannel: broadcast.create, locks: null, ...extra });
    const a = tab(browserDpopKey({ indexedDB }));
    const b = tab(keyB, { timers });
    await a.signIn();
    await flush();
    await a.signOut();
    await flush();
    expect(b.getState().status).toBe('signed-out');
    let thumbprint: string | null = null;
    const proof = keyB.thumbprint().then((t) => (thumbprint = t));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(thumbprint).toBeNull();
    expect(held).toHaveLength(1);
    held[0]!();
    expect(await proof).toBe(await browserDpopKey({ indexedDB }).thumbprint());
    // The rotation was slower than the wait: the stored key changes after b read it, then
    // key-rotated arrives; b's next proof reads the key stored last.
    const slower = browserDpopKey({ indexedDB });
    await slower.rotate();
    const latest = await slower.thumbprint();
    expect(await keyB.thumbprint()).not.toBe(latest);
    broadcast.release();
    await flush();
    expect(await keyB.thumbprint()).toBe(latest);
    a.destroy();
    b.destroy();
  });
});

/**
 * A BroadcastChannel factory whose messages reach the other tabs' listeners inside
 * `postMessage`, before the sender's next line runs.
 */
function instantBroadcast(): (name: string) => BroadcastChannelLike {
  const tabs = new Set<((event: { data: unknown }) => void)[]>();
  return () => {
    const mine: ((event: { data: unknown }) => void)[] = [];
    tabs.add(mine);
    return {
      postMessage(message) {
        const data: unknown = structuredClone(message);
        for (const listeners of tabs)
          if (listeners !== mine) for (const l of listeners) l({ data });
      },
      addEventListener(_type, listener) {
        mine.push(listener);
      },
      close() {
        tabs.delete(mine);
      },
    };
  };
}

/** The record `key` of the `keys` store of database `name`. */
function readRecord(factory: IDBFactory, name: string, key: string): Promise<object> {
  return new Promise((resolve, reject) => {
    const open = factory.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('keys').objectStore('keys').get(key);
      get.onsuccess = () => {
        open.result.close();
        resolve(get.result as object);
      };
      get.onerror = () => reject(get.error);
    };
  });
}
