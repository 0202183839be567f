// createAuthClient: validates the options once, then wires the parts together: the state
// (state.ts), HTTP to the auth routes (transport.ts), the token lifecycle (refresher.ts), the
// sign-in flow (sign-in.ts), `auth.fetch` (auth-fetch.ts) and cross-tab coordination (tab-sync.ts).
import { evrmore, type Network, type SessionInfo, type SessionsResponse } from '@evrmore-auth/core';
import type { BackoffOptions } from './backoff.js';
import { createAuthFetch } from './auth-fetch.js';
import type { DpopKeySource } from './dpop-key-source.js';
import { EvrmoreAuthClientError } from './errors.js';
import { createRefresher, type ClientTimers } from './refresher.js';
import { createSignInFlow, type SignInOptions } from './sign-in.js';
import type { Signer } from './signers/signer.js';
import { createAuthStore, type AuthListener, type AuthState } from './state.js';
import {
  createTabSync,
  type BroadcastChannelLike,
  type LockManagerLike,
  type TabSync,
} from './tab-sync.js';
import { createTransport } from './transport.js';

export type { ClientTimers } from './refresher.js';
export type { SignInOptions } from './sign-in.js';

/**
 * Options of {@link createAuthClient}.
 *
 * @example
 * ```ts
 * const options: AuthClientOptions = { baseUrl: '/auth', signer: injectedWalletSigner(), refreshMarginMs: 30_000 };
 * ```
 */
export interface AuthClientOptions {
  /**
   * The auth endpoints' base URL, including the base path: `https://api.example.com/auth`, or
   * `/auth` in a browser (resolved against the page).
   */
  baseUrl: string;
  /** The wallet hook used by `signIn`. Required to sign in; not needed to restore a session. */
  signer?: Signer;
  /**
   * The network of the addresses and the challenge's `Chain ID`.
   * @default evrmore (mainnet)
   */
  network?: Network;
  /**
   * The domain a challenge must name (phishing defence).
   * @default location.host in a browser, else the host of `baseUrl`
   */
  expectedDomain?: string;
  /**
   * The origin a challenge's `URI:` must have.
   * @default location.origin in a browser, else the origin of `baseUrl`
   */
  expectedUri?: string;
  /**
   * Origins `auth.fetch` may send the access token to (with a DPoP proof, for a DPoP token),
   * besides `baseUrl`'s and the page's. Requests to any other origin are refused.
   *
   * A listed origin gets its requests with `credentials: 'omit'` (no cookies: the token, and for
   * a DPoP token its proof, are the credentials there, so its CORS answer need not allow
   * credentials). List it as `{ origin, credentials: 'include' }` when it needs cookies (its own
   * session cookie, or the auth server's cookies on the same host under another port): its CORS
   * answers must then carry `Access-Control-Allow-Credentials: true`. `baseUrl`'s origin always
   * gets `'include'` (the refresh and fingerprint cookies), the page's `'include'` unless listed
   * otherwise.
   * @default []
   */
  allowedOrigins?: (string | AllowedOrigin)[];
  /**
   * A DPoP key (RFC 9449) from `@evrmore-auth/client/dpop` (`browserDpopKey()`,
   * `memoryDpopKey()`): sign-in, MFA and refresh send a proof, so a server with DPoP on issues
   * tokens bound to the key (`tokenType: 'DPoP'`), and `auth.fetch` sends such a token as
   * `Authorization: DPoP …` with a proof, to the same origins as a bearer token
   * (`allowedOrigins`). Rotated when this tab signs out.
   * @default none (bearer tokens)
   */
  dpop?: DpopKeySource;
  /**
   * Refresh this long before the access token expires, ms (capped at half the token lifetime).
   * @default 60000
   */
  refreshMarginMs?: number;
  /**
   * Extra random lead added to the margin so tabs and clients do not refresh in lockstep, ms.
   * @default 10000
   */
  refreshJitterMs?: number;
  /**
   * Retries of a refresh after a network error or a 503, with exponential backoff.
   * @default 3
   */
  retries?: number;
  /** Backoff of those retries. @default { baseMs: 500, maxMs: 10000 } */
  backoff?: BackoffOptions;
  /**
   * Restore the session on creation with one silent refresh (the refresh cookie survives a
   * reload; the access token does not). Call `restore()` yourself when false.
   * @default true in a browser (`document` exists), false elsewhere
   */
  restore?: boolean;
  /**
   * The name of the server's session hint cookie, or `false` to ignore it. The server sets this
   * non-secret, script-readable cookie (value `1`) with the refresh cookie and clears it with the
   * refresh cookie. When the client restores a session in a browser and the hint is absent from
   * `document.cookie`, it goes `signed-out` (`no-session`) without sending `/refresh`: an
   * anonymous visitor's page load makes no auth request (no 401 in the console, no rate-limit
   * points spent). The client refreshes as before when it cannot see the cookie: without a
   * `document` (Node, workers), or when the API is on another host than the page (cookies belong
   * to a host, whatever the port: `localhost:5173` sees `localhost:3000`'s cookie).
   * @default 'evrmore_auth_hint'
   */
  sessionHintCookie?: string | false;
  /**
   * Cross-tab coordination name (BroadcastChannel and Web Lock); `false` disables it.
   * @default 'evrmore-auth:' + baseUrl
   */
  tabSync?: string | false;
  /**
   * How long a tab waits for the cross-tab refresh lock before refreshing without it, ms.
   * @default 10000
   */
  lockTimeoutMs?: number;
  /** `fetch` to use (e.g. one with a cookie jar in Node). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
  /** Randomness in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Timers. @default globalThis.setTimeout / clearTimeout */
  timers?: ClientTimers;
  /** Web Locks, or `null` to go without. @default globalThis.navigator?.locks */
  locks?: LockManagerLike | null;
  /** BroadcastChannel factory, or `null`. @default (name) => new BroadcastChannel(name) */
  createChannel?: ((name: string) => BroadcastChannelLike) | null;
  /**
   * The page's document: source of `visibilitychange` events (with `visibilityState`) and of
   * `cookie`, read for the session hint.
   * @default globalThis.document
   */
  document?:
    | (EventTarget & {
        /** `'visible'` or `'hidden'`: when the page becomes visible, a refresh that fell due is run. */
        visibilityState?: string;
        /** The page's cookies, read for the session hint cookie. */
        cookie?: string;
      })
    | null;
  /** Source of `online` events. @default globalThis (window) */
  window?: EventTarget | null;
}

/**
 * An entry of {@link AuthClientOptions.allowedOrigins} with its credentials mode: whether
 * `auth.fetch` sends that origin the browser's cookies.
 *
 * @example
 * ```ts
 * // An API on another origin that reads its own session cookie besides the token.
 * const legacy: AllowedOrigin = { origin: 'https://legacy.example.com', credentials: 'include' };
 * createAuthClient({ baseUrl: '/auth', allowedOrigins: ['https://data.example.com', legacy] });
 * ```
 */
export interface AllowedOrigin {
  /** The origin, as `URL.origin` spells it: `https://api.example.com`, no path. */
  origin: string;
  /**
   * `'omit'`: no cookies (nor any other browser credentials) go to this origin. `'include'`:
   * cookies go, and the origin's CORS answers must allow credentials.
   * @default 'omit'
   */
  credentials?: 'include' | 'omit';
}

/**
 * The object returned by {@link createAuthClient}.
 *
 * @example
 * ```ts
 * const auth: AuthClient = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner() });
 * ```
 */
export interface AuthClient {
  /**
   * Sign in: challenge, phishing check, wallet signature, verify. Resolves to the new state.
   * Pass `{ signal }` to let the user cancel (see {@link SignInOptions}).
   */
  signIn(options?: SignInOptions): Promise<AuthState>;
  /** Complete a sign-in that answered `mfa-required` with a TOTP or backup code. */
  verifyMfa(code: string): Promise<AuthState>;
  /** Revoke this session on the server (best effort), forget the token, sign out every tab. */
  signOut(): Promise<void>;
  /** A valid access token (refreshing first when it is about to expire), or `null` when signed out. */
  getAccessToken(): Promise<string | null>;
  /**
   * `fetch` with the access token (`Bearer`, or `DPoP` with a proof) and the origin's credentials
   * mode (see `allowedOrigins`); on a 401 it refreshes once and retries once.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Obtain a new access token now (single-flight: concurrent callers share one request). */
  refresh(): Promise<string | null>;
  /**
   * Restore a session after a reload with one silent refresh (none when the session hint cookie
   * says there is no session: see `sessionHintCookie`).
   */
  restore(): Promise<AuthState>;
  /** `GET /session`. */
  getSession(): Promise<SessionInfo>;
  /** `GET /sessions`: the caller's sessions, the current one marked. */
  listSessions(): Promise<SessionInfo[]>;
  /** `DELETE /sessions/{id}`; revoking the current session signs out. */
  revokeSession(id: string): Promise<void>;
  /** `DELETE /sessions?scope=others`. */
  revokeOtherSessions(): Promise<void>;
  /** The current state snapshot. */
  getState(): AuthState;
  /** Listen to state changes; returns the unsubscribe function. */
  subscribe(listener: AuthListener): () => void;
  /** Stop timers and listeners and close the channel (the session stays valid). */
  destroy(): void;
}

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new TypeError(`createAuthClient: ${name} must be a non-negative number`);
  return value;
}

/**
 * The origins `auth.fetch` may send the token to, each with its credentials mode: the listed
 * ones (`'omit'` unless said otherwise), the page's (`'include'` unless listed) and `baseUrl`'s
 * (always `'include'`: the auth cookies).
 */
function allowedOrigins(
  listed: AuthClientOptions['allowedOrigins'],
  baseOrigin: string,
  pageOrigin: string | undefined,
): Map<string, RequestCredentials> {
  if (listed !== undefined && !Array.isArray(listed))
    throw new TypeError('createAuthClient: allowedOrigins must be an array');
  const origins = new Map<string, RequestCredentials>();
  for (const entry of listed ?? []) {
    const { origin, credentials = 'omit' } =
      typeof entry === 'string' ? { origin: entry } : ((entry ?? {}) as Partial<AllowedOrigin>);
    if (typeof origin !== 'string' || (credentials !== 'omit' && credentials !== 'include'))
      throw new TypeError(
        "createAuthClient: an allowedOrigins entry must be an origin or { origin, credentials: 'include' | 'omit' }",
      );
    if (origin === baseOrigin && credentials !== 'include')
      throw new TypeError(
        "createAuthClient: baseUrl's origin always gets credentials (the auth cookies)",
      );
    origins.set(origin, credentials);
  }
  if (pageOrigin !== undefined && !origins.has(pageOrigin)) origins.set(pageOrigin, 'include');
  origins.set(baseOrigin, 'include');
  return origins;
}

/**
 * Create the browser (or Node) client of an evrmore-auth server. The access token lives only in
 * the client's memory; the refresh token is the server's HttpOnly cookie, so after a reload the
 * client restores the session with one silent refresh (`restore`, on by default in a browser).
 *
 * @example
 * ```ts
 * import { createAuthClient, injectedWalletSigner } from '@evrmore-auth/client';
 *
 * const auth = createAuthClient({ baseUrl: '/auth', signer: injectedWalletSigner() });
 * auth.subscribe((s) => render(s.status, s.address));
 * await auth.signIn();
 * const res = await auth.fetch('/api/profile'); // Authorization: Bearer …, refreshed as needed
 * ```
 */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createAuthClient: options must be an object');
  if (typeof options.baseUrl !== 'string' || options.baseUrl.length === 0)
    throw new TypeError('createAuthClient: baseUrl must be a non-empty string');
  const g = globalThis as unknown as {
    location?: { href: string; host: string; origin: string; hostname: string };
    document?: EventTarget & { visibilityState?: string; cookie?: string };
    navigator?: { locks?: LockManagerLike };
    BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  };
  // Only a page served over http(s) says which site the user is on. A Deno worker's `location` is
  // its file: module (host "", origin "null"): taken for the page, it made every challenge look
  // foreign, so such a location counts as none (baseUrl's origin applies, as in Node).
  const page = g.location && /^https?:/i.test(g.location.href) ? g.location : undefined;
  let base: URL;
  try {
    base = new URL(options.baseUrl, page?.href);
  } catch {
    throw new TypeError(
      'createAuthClient: baseUrl must be an absolute URL (or a path, in a browser)',
    );
  }
  const baseUrl = base.href.replace(/\/+$/, '');
  if (options.signer !== undefined) {
    const s = options.signer as Partial<Signer> | null;
    if (typeof s?.getAddress !== 'function' || typeof s.signMessage !== 'function')
      throw new TypeError('createAuthClient: signer must have getAddress() and signMessage()');
  }
  const network = options.network ?? evrmore;
  const marginMs = nonNegative(options.refreshMarginMs, 'refreshMarginMs', 60_000);
  const jitterMs = nonNegative(options.refreshJitterMs, 'refreshJitterMs', 10_000);
  const retries = nonNegative(options.retries, 'retries', 3);
  const lockTimeoutMs = nonNegative(options.lockTimeoutMs, 'lockTimeoutMs', 10_000);
  const origins = allowedOrigins(options.allowedOrigins, base.origin, page?.origin);
  const now = options.now ?? Date.now;
  const doc = options.document === undefined ? g.document : options.document;
  const hint = options.sessionHintCookie ?? 'evrmore_auth_hint';
  if (hint !== false && (typeof hint !== 'string' || !/^[\w!#$%&'*+.^`|~-]+$/.test(hint)))
    throw new TypeError('createAuthClient: sessionHintCookie must be a cookie name or false');
  /** Whether the session hint cookie says there is no session to restore (so no /refresh). */
  const hintSaysNoSession = (): boolean =>
    hint !== false &&
    typeof doc?.cookie === 'string' &&
    (!page || page.hostname === base.hostname) &&
    !doc.cookie.split(';').some((c) => c.split('=')[0]!.trim() === hint);
  const win =
    options.window === undefined
      ? typeof (globalThis as { addEventListener?: unknown }).addEventListener === 'function'
        ? (globalThis as unknown as EventTarget)
        : null
      : options.window;

  const syncName = options.tabSync === undefined ? `evrmore-auth:${baseUrl}` : options.tabSync;
  const sync: TabSync | null =
    syncName === false
      ? null
      : createTabSync({
          name: syncName,
          locks: options.locks === undefined ? (g.navigator?.locks ?? null) : options.locks,
          createChannel:
            options.createChannel === undefined
              ? g.BroadcastChannel
                ? (name) => new g.BroadcastChannel!(name)
                : null
              : options.createChannel,
          lockTimeoutMs,
        });

  // Not checked here (the type says what it is; a wrong value fails at the first proof): every
  // byte of this entry counts against the core bundle's budget.
  const dpop = options.dpop ?? null;

  const store = createAuthStore();
  const transport = createTransport(
    baseUrl,
    options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    dpop,
  );
  const refresher = createRefresher({
    store,
    transport,
    sync,
    marginMs,
    jitterMs,
    retries,
    backoff: options.backoff ?? {},
    now,
    random: options.random ?? Math.random,
    dpop,
    timers: options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
    },
  });
  const { signIn, verifyMfa } = createSignInFlow({
    store,
    transport,
    refresher,
    signer: options.signer,
    network,
    expectedDomain: options.expectedDomain ?? page?.host ?? base.host,
    expectedUri: options.expectedUri ?? page?.origin ?? base.origin,
    now,
  });
  const authFetch = createAuthFetch({
    store,
    transport,
    refresher,
    origins,
    resolveBase: page?.href ?? baseUrl,
  });

  const signOut = async (): Promise<void> => {
    try {
      if (store.accessToken !== null) {
        const res = await authFetch(transport.endpoint('/logout'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        await res.body?.cancel();
      }
    } catch {
      // Best effort: the local sign-out below happens regardless.
    } finally {
      refresher.forget('user', true);
    }
  };

  const authJson = async <T>(path: string, method = 'GET'): Promise<T | undefined> => {
    if (store.accessToken === null && !refresher.inflight)
      throw new EvrmoreAuthClientError('not_signed_in', 'sign in first');
    const response = await authFetch(transport.endpoint(path), {
      method,
      headers: { accept: 'application/json' },
    });
    if (response.status === 204) return undefined;
    return transport.readJson<T>(response);
  };

  const restore = async (): Promise<AuthState> => {
    if (store.accessToken === null && hintSaysNoSession()) {
      refresher.forget('no-session', false);
      return store.state;
    }
    try {
      await refresher.refresh(true);
    } catch {
      // The state says why (error + reason).
    }
    return store.state;
  };

  const onVisible = (): void => {
    if (doc?.visibilityState !== 'visible') return;
    if (refresher.isDue()) void refresher.refresh().catch(() => undefined);
  };
  const onOnline = (): void => {
    const { status, reason } = store.state;
    if (status === 'error' && reason === 'network_error') {
      // Back online after a failed refresh or restore: try again (a restore if we hold no token).
      void refresher.refresh(store.accessToken === null).catch(() => undefined);
    } else if (refresher.isDue()) {
      void refresher.refresh().catch(() => undefined);
    }
  };
  doc?.addEventListener('visibilitychange', onVisible);
  win?.addEventListener('online', onOnline);

  const client: AuthClient = {
    signIn,
    verifyMfa,
    signOut,
    getAccessToken: () => refresher.getAccessToken(),
    fetch: authFetch,
    refresh: () => refresher.refresh(false),
    restore,
    async getSession() {
      return (await authJson<SessionInfo>('/session'))!;
    },
    async listSessions() {
      const body = await authJson<SessionsResponse>('/sessions');
      if (!Array.isArray(body?.sessions))
        throw new EvrmoreAuthClientError('invalid_response', 'the sessions answer has no list');
      return body.sessions;
    },
    async revokeSession(id) {
      if (typeof id !== 'string' || id.length === 0)
        throw new TypeError('revokeSession: id must be a non-empty string');
      const current = store.state.session?.id;
      await authJson(`/sessions/${encodeURIComponent(id)}`, 'DELETE');
      if (id === current) refresher.forget('user', true);
    },
    async revokeOtherSessions() {
      await authJson('/sessions?scope=others', 'DELETE');
    },
    getState: () => store.state,
    subscribe: (listener) => store.subscribe(listener),
    destroy() {
      refresher.stop();
      doc?.removeEventListener('visibilitychange', onVisible);
      win?.removeEventListener('online', onOnline);
      sync?.close();
      store.clear();
    },
  };

  const shouldRestore = options.restore ?? (doc !== undefined && doc !== null);
  if (shouldRestore) {
    if (hintSaysNoSession()) store.set({ reason: 'no-session' });
    else {
      store.set({ status: 'refreshing' });
      void restore();
    }
  }
  return client;
}
