import {
  EvrmoreAuthError,
  evrmore,
  isMfaRequired,
  REQUESTED_WITH_HEADER,
  REQUESTED_WITH_VALUE,
  type ChallengeResponse,
  type MfaMethod,
  type MfaRequiredResponse,
  type Network,
  type SessionInfo,
  type SessionsResponse,
  type TokenResponse,
} from '@evrmore-auth/core';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { checkChallenge } from './challenge-guard.js';
import { EvrmoreAuthClientError, errorFromResponse } from './errors.js';
import type { Signer } from './signers/signer.js';
import { assertAddress, assertSignatureEncoding } from './signers/validate.js';
import type { AuthListener, AuthState } from './state.js';
import {
  createTabSync,
  type BroadcastChannelLike,
  type LockManagerLike,
  type TabMessage,
  type TabSync,
} from './tab-sync.js';

/**
 * Timer functions the client schedules with (injectable for tests).
 *
 * @example
 * ```ts
 * const timers: ClientTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) };
 * ```
 */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

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
   * Origins `auth.fetch` may send the bearer token to, besides `baseUrl`'s and the page's.
   * @default []
   */
  allowedOrigins?: string[];
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
  /** Source of `visibilitychange` events (with `visibilityState`). @default globalThis.document */
  document?: (EventTarget & { visibilityState?: string }) | null;
  /** Source of `online` events. @default globalThis (window) */
  window?: EventTarget | null;
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
  /** Sign in: challenge, phishing check, wallet signature, verify. Resolves to the new state. */
  signIn(address?: string): Promise<AuthState>;
  /** Complete a sign-in that answered `mfa-required` with a TOTP or backup code. */
  verifyMfa(code: string): Promise<AuthState>;
  /** Revoke this session on the server (best effort), forget the token, sign out every tab. */
  signOut(): Promise<void>;
  /** A valid access token (refreshing first when it is about to expire), or `null` when signed out. */
  getAccessToken(): Promise<string | null>;
  /** `fetch` with the bearer token and credentials; on a 401 it refreshes once and retries once. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Obtain a new access token now (single-flight: concurrent callers share one request). */
  refresh(): Promise<string | null>;
  /** Restore a session after a reload with one silent refresh. */
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

/** How long a tab without Web Locks waits for another tab's announced refresh, ms. */
const PEER_REFRESH_WAIT_MS = 5000;

const SIGN_OUT_CODES = new Set([
  'refresh_reused',
  'token_revoked',
  'refresh_invalid',
  'token_missing',
  'token_invalid',
  'token_expired',
  'fingerprint_mismatch',
]);

function isAbort(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
  );
}

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new TypeError(`createAuthClient: ${name} must be a non-negative number`);
  return value;
}

function isTokenResponse(body: unknown): body is TokenResponse {
  const b = body as TokenResponse | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.accessToken === 'string' &&
    b.accessToken.length > 0 &&
    typeof b.expiresIn === 'number' &&
    Number.isFinite(b.expiresIn) &&
    typeof b.session === 'object' &&
    b.session !== null &&
    typeof b.session.id === 'string'
  );
}

const INITIAL: AuthState = Object.freeze({
  status: 'signed-out',
  session: null,
  address: null,
  reason: null,
  error: null,
  mfaMethods: null,
});

/**
 * Create the browser (or Node) client of an evrmore-auth server. The access token lives only in
 * this closure; the refresh token is the server's HttpOnly cookie, so after a reload the client
 * restores the session with one silent refresh (`restore`, on by default in a browser).
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
    location?: { href: string; host: string; origin: string };
    document?: EventTarget & { visibilityState?: string };
    navigator?: { locks?: LockManagerLike };
    BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  };
  let base: URL;
  try {
    base = new URL(options.baseUrl, g.location?.href);
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
  const expectedDomain = options.expectedDomain ?? g.location?.host ?? base.host;
  const expectedUri = options.expectedUri ?? g.location?.origin ?? base.origin;
  const marginMs = nonNegative(options.refreshMarginMs, 'refreshMarginMs', 60_000);
  const jitterMs = nonNegative(options.refreshJitterMs, 'refreshJitterMs', 10_000);
  const retries = nonNegative(options.retries, 'retries', 3);
  const lockTimeoutMs = nonNegative(options.lockTimeoutMs, 'lockTimeoutMs', 10_000);
  const backoff = options.backoff ?? {};
  const allowedOrigins = new Set([base.origin, ...(options.allowedOrigins ?? [])]);
  if (g.location) allowedOrigins.add(g.location.origin);
  const rawFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const timers: ClientTimers = options.timers ?? {
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const doc = options.document === undefined ? g.document : options.document;
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

  // ---- private state (the access token never leaves this closure except to fetch/tabs) ----
  let accessToken: string | null = null;
  let expiresAtMs = 0;
  let refreshAtMs = 0;
  let generation = 0;
  let mfaToken: string | null = null;
  let refreshTimer: unknown;
  let inflight: Promise<string | null> | null = null;
  let lockDepth = 0;
  let pendingNotify = false;
  let destroyed = false;
  let state: AuthState = INITIAL;
  /** Without Web Locks: until when another tab said it is refreshing (fallback coordination). */
  let peerRefreshUntil = 0;
  const tokenWaiters = new Set<() => void>();
  const listeners = new Set<AuthListener>();

  const notify = (): void => {
    if (lockDepth > 0) {
      pendingNotify = true;
      return;
    }
    pendingNotify = false;
    const snapshot = state;
    for (const l of [...listeners]) {
      try {
        l(snapshot);
      } catch {
        // A throwing listener must not break the client or the other listeners.
      }
    }
  };
  const setState = (patch: Partial<AuthState>): AuthState => {
    state = Object.freeze({ ...state, ...patch });
    notify();
    return state;
  };
  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!sync) return fn();
    try {
      return await sync.withLock(async () => {
        lockDepth++;
        try {
          return await fn();
        } finally {
          lockDepth--;
        }
      });
    } finally {
      if (pendingNotify && lockDepth === 0) notify();
    }
  };

  const clearTimer = (): void => {
    if (refreshTimer !== undefined) timers.clearTimeout(refreshTimer);
    refreshTimer = undefined;
  };
  const schedule = (): void => {
    clearTimer();
    if (destroyed || accessToken === null) return;
    const lifetime = Math.max(0, expiresAtMs - now());
    const cap = lifetime / 2;
    const lead = Math.min(marginMs, cap) + random() * Math.min(jitterMs, cap / 2);
    refreshAtMs = expiresAtMs - lead;
    refreshTimer = timers.setTimeout(
      () => {
        refreshTimer = undefined;
        void refresh().catch(() => undefined);
      },
      Math.max(0, refreshAtMs - now()),
    );
  };

  /** Store tokens (no listener call: may run under the lock). */
  const storeTokens = (token: string, expiry: number, session: SessionInfo): void => {
    accessToken = token;
    expiresAtMs = expiry;
    generation++;
    mfaToken = null;
    // A peer's announced refresh (if any) is over: it delivered these tokens, or we did.
    peerRefreshUntil = 0;
    for (const wake of tokenWaiters) wake();
    tokenWaiters.clear();
    state = Object.freeze({
      status: 'signed-in',
      session,
      address: session.address,
      reason: null,
      error: null,
      mfaMethods: null,
    });
    pendingNotify = true;
    schedule();
  };
  const acceptTokens = (body: TokenResponse, broadcast: boolean): void => {
    const expiry = now() + body.expiresIn * 1000;
    storeTokens(body.accessToken, expiry, body.session);
    if (broadcast)
      sync?.post({
        type: 'tokens',
        accessToken: body.accessToken,
        expiresAtMs: expiry,
        session: body.session,
      });
    notify();
  };
  const forget = (reason: string, broadcast: boolean, error: Error | null = null): void => {
    accessToken = null;
    expiresAtMs = 0;
    mfaToken = null;
    generation++;
    clearTimer();
    if (broadcast) sync?.post({ type: 'signed-out', reason });
    setState({
      status: 'signed-out',
      session: null,
      address: null,
      reason,
      error,
      mfaMethods: null,
    });
  };

  sync?.onMessage((message: TabMessage) => {
    if (destroyed) return;
    if (message.type === 'refreshing') {
      peerRefreshUntil = now() + PEER_REFRESH_WAIT_MS;
      return;
    }
    if (message.type === 'tokens') {
      if (message.accessToken === accessToken) return;
      storeTokens(message.accessToken, message.expiresAtMs, message.session);
      notify();
    } else if (accessToken !== null || state.status !== 'signed-out') {
      forget('other-tab', false);
    }
  });

  // ---- HTTP ----
  const send = async (request: Request): Promise<Response> => {
    try {
      return await rawFetch(request);
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new EvrmoreAuthClientError('network_error', 'the request could not be sent', {
        cause: err,
      });
    }
  };
  const endpoint = (path: string): string => `${baseUrl}${path}`;
  const jsonRequest = (
    method: string,
    path: string,
    body?: unknown,
    headers?: HeadersInit,
  ): Request => {
    const h = new Headers(headers);
    h.set('accept', 'application/json');
    if (body !== undefined) h.set('content-type', 'application/json');
    return new Request(endpoint(path), {
      method,
      headers: h,
      credentials: 'include',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  };
  const readJson = async <T>(response: Response): Promise<T> => {
    if (!response.ok) throw await errorFromResponse(response);
    try {
      return (await response.json()) as T;
    } catch (err) {
      throw new EvrmoreAuthClientError('invalid_response', 'the server answered invalid JSON', {
        cause: err,
        status: response.status,
      });
    }
  };

  /** One `POST /refresh` with bounded retries on network errors and 503. */
  const postRefresh = async (): Promise<TokenResponse> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await send(
          jsonRequest('POST', '/refresh', {}, { [REQUESTED_WITH_HEADER]: REQUESTED_WITH_VALUE }),
        );
        const body = await readJson<unknown>(response);
        if (!isTokenResponse(body))
          throw new EvrmoreAuthClientError(
            'invalid_response',
            'the refresh answer is not a token response',
          );
        return body;
      } catch (err) {
        const retryable =
          (err instanceof EvrmoreAuthClientError && err.code === 'network_error') ||
          (err instanceof EvrmoreAuthError && err.code === 'unavailable');
        if (!retryable || attempt >= retries) throw err;
        const delay = backoffDelay(attempt, backoff, random);
        await new Promise<void>((resolve) => timers.setTimeout(resolve, delay));
      }
    }
  };

  const tokenIsFresh = (): boolean => accessToken !== null && now() < refreshAtMs;

  const refresh = (restoring = false): Promise<string | null> => {
    if (inflight) return inflight;
    const startGeneration = generation;
    const previous = state;
    if (state.status !== 'signing-in' && state.status !== 'mfa-required')
      setState({ status: 'refreshing', reason: null, error: null });
    inflight = (async (): Promise<string | null> => {
      let failure: unknown;
      try {
        await withLock(async () => {
          // Another tab refreshed while we waited for the lock: adopt its token, no request.
          if (generation !== startGeneration && tokenIsFresh()) return;
          if (sync) {
            // If another tab announced a refresh, wait (bounded) for the token it will broadcast;
            // else announce ours. With Web Locks too: the lock can reach us before the peer's
            // token does (BroadcastChannel and Web Locks are not ordered with each other), and
            // refreshing then would be a second request for the same expiry.
            const waitMs = peerRefreshUntil - now();
            if (waitMs > 0) {
              await new Promise<void>((resolve) => {
                const handle = timers.setTimeout(done, waitMs);
                function done(): void {
                  timers.clearTimeout(handle);
                  tokenWaiters.delete(done);
                  resolve();
                }
                tokenWaiters.add(done);
              });
              if (generation !== startGeneration && tokenIsFresh()) return;
            }
            sync.post({ type: 'refreshing' });
          }
          const body = await postRefresh();
          const expiry = now() + body.expiresIn * 1000;
          storeTokens(body.accessToken, expiry, body.session);
          sync?.post({
            type: 'tokens',
            accessToken: body.accessToken,
            expiresAtMs: expiry,
            session: body.session,
          });
        });
      } catch (err) {
        failure = err;
      }
      if (failure === undefined) {
        notify();
        return accessToken;
      }
      if (failure instanceof EvrmoreAuthError && SIGN_OUT_CODES.has(failure.code)) {
        if (restoring && accessToken === null) forget('no-session', false);
        else forget(failure.code, true, failure);
        return null;
      }
      const error = failure instanceof Error ? failure : new Error(String(failure));
      const reason =
        failure instanceof EvrmoreAuthError || failure instanceof EvrmoreAuthClientError
          ? failure.code
          : 'unknown';
      setState({
        status: 'error',
        reason,
        error,
        session: previous.session,
        address: previous.address,
      });
      if (accessToken !== null && now() < expiresAtMs) return accessToken;
      throw failure;
    })().finally(() => {
      inflight = null;
    });
    return inflight;
  };

  const getAccessToken = async (): Promise<string | null> => {
    // A still-valid token is used even while an early refresh is in flight.
    if (accessToken !== null && now() < expiresAtMs - 1000) return accessToken;
    if (inflight) return inflight;
    if (accessToken === null) return null;
    return refresh();
  };

  const resolveUrl = (input: RequestInfo | URL): URL => {
    const raw = input instanceof Request ? input.url : String(input);
    return new URL(raw, g.location?.href ?? baseUrl);
  };

  const authFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = resolveUrl(input);
    if (!allowedOrigins.has(url.origin)) {
      throw new EvrmoreAuthClientError(
        'origin_not_allowed',
        `refusing to send the access token to ${url.origin}; add it to allowedOrigins`,
      );
    }
    const original = input instanceof Request ? new Request(input, init) : new Request(url, init);
    const attempt = (token: string | null): Request => {
      const headers = new Headers(original.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return new Request(original.clone(), { headers, credentials: 'include' });
    };
    const token = await getAccessToken();
    const response = await send(attempt(token));
    if (response.status !== 401 || token === null) return response;
    // A wrong MFA code is a 401 about the code, not the token: no refresh, no second attempt.
    const problem = await response
      .clone()
      .json()
      .then(
        (b: { code?: unknown } | null) => b?.code,
        () => undefined,
      );
    if (problem === 'mfa_invalid') return response;
    // One refresh (shared with every concurrent caller that saw the same token), one retry.
    const next = accessToken !== null && accessToken !== token ? accessToken : await refresh();
    if (next === null || next === token) return response;
    return send(attempt(next));
  };

  const requireSigner = (): Signer => {
    if (!options.signer) throw new TypeError('createAuthClient: a signer is required to sign in');
    return options.signer;
  };

  const signInFailed = (err: unknown): never => {
    const error = err instanceof Error ? err : new Error(String(err));
    const reason =
      err instanceof EvrmoreAuthError || err instanceof EvrmoreAuthClientError
        ? err.code
        : 'unknown';
    setState({ status: 'error', reason, error, mfaMethods: null });
    throw err;
  };

  const signIn = async (requested?: string): Promise<AuthState> => {
    const signer = requireSigner();
    setState({ status: 'signing-in', reason: null, error: null, mfaMethods: null });
    try {
      const address = assertAddress(requested ?? (await signer.getAddress()), network);
      setState({ address });
      const challenge = await readJson<ChallengeResponse>(
        await send(jsonRequest('POST', '/challenge', { address })),
      );
      if (typeof challenge?.message !== 'string')
        throw new EvrmoreAuthClientError('invalid_response', 'the challenge answer has no message');
      checkChallenge(challenge.message, {
        expectedDomain,
        expectedUri,
        address,
        chainId: network.chainId,
        now: now(),
      });
      const signature = assertSignatureEncoding(await signer.signMessage(challenge.message));
      const body = await readJson<TokenResponse | MfaRequiredResponse>(
        await send(jsonRequest('POST', '/verify', { message: challenge.message, signature })),
      );
      if (typeof body === 'object' && body !== null && isMfaRequired(body)) {
        mfaToken = body.mfaToken;
        return setState({
          status: 'mfa-required',
          mfaMethods: Array.isArray(body.methods) ? body.methods : [],
        });
      }
      if (!isTokenResponse(body))
        throw new EvrmoreAuthClientError(
          'invalid_response',
          'the verify answer is not a token response',
        );
      acceptTokens(body, true);
      return state;
    } catch (err) {
      return signInFailed(err);
    }
  };

  const verifyMfa = async (code: string): Promise<AuthState> => {
    if (mfaToken === null)
      throw new EvrmoreAuthClientError('mfa_not_pending', 'no second-factor step is pending');
    if (typeof code !== 'string' || code.trim().length === 0)
      throw new TypeError('verifyMfa: code must be a non-empty string');
    const methods: MfaMethod[] = [...(state.mfaMethods ?? [])];
    try {
      const body = await readJson<unknown>(
        await send(jsonRequest('POST', '/mfa/verify', { mfaToken, code: code.trim() })),
      );
      if (!isTokenResponse(body))
        throw new EvrmoreAuthClientError(
          'invalid_response',
          'the MFA answer is not a token response',
        );
      acceptTokens(body, true);
      return state;
    } catch (err) {
      if (err instanceof EvrmoreAuthError && err.code === 'mfa_invalid') {
        // A mistyped code: stay in mfa-required so the user can try again.
        setState({ status: 'mfa-required', mfaMethods: methods, reason: err.code, error: err });
        throw err;
      }
      mfaToken = null;
      return signInFailed(err);
    }
  };

  const signOut = async (): Promise<void> => {
    const hadToken = accessToken !== null;
    try {
      if (hadToken) {
        const res = await authFetch(endpoint('/logout'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        await res.body?.cancel();
      }
    } catch {
      // Best effort: the local sign-out below happens regardless.
    } finally {
      forget('user', true);
    }
  };

  const authJson = async <T>(path: string, method = 'GET'): Promise<T | undefined> => {
    if (accessToken === null && !inflight)
      throw new EvrmoreAuthClientError('not_signed_in', 'sign in first');
    const response = await authFetch(endpoint(path), {
      method,
      headers: { accept: 'application/json' },
    });
    if (response.status === 204) return undefined;
    return readJson<T>(response);
  };

  const restore = async (): Promise<AuthState> => {
    try {
      await refresh(true);
    } catch {
      // The state says why (error + reason).
    }
    return state;
  };

  const onVisible = (): void => {
    if (doc?.visibilityState !== 'visible') return;
    if (accessToken !== null && now() >= refreshAtMs) void refresh().catch(() => undefined);
  };
  const onOnline = (): void => {
    if (state.status === 'error' && state.reason === 'network_error') {
      // Back online after a failed refresh or restore: try again (a restore if we hold no token).
      void refresh(accessToken === null).catch(() => undefined);
    } else if (accessToken !== null && now() >= refreshAtMs) {
      void refresh().catch(() => undefined);
    }
  };
  doc?.addEventListener('visibilitychange', onVisible);
  win?.addEventListener('online', onOnline);

  const client: AuthClient = {
    signIn,
    verifyMfa,
    signOut,
    getAccessToken,
    fetch: authFetch,
    refresh: () => refresh(false),
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
      const current = state.session?.id;
      await authJson(`/sessions/${encodeURIComponent(id)}`, 'DELETE');
      if (id === current) forget('user', true);
    },
    async revokeOtherSessions() {
      await authJson('/sessions?scope=others', 'DELETE');
    },
    getState: () => state,
    subscribe(listener) {
      if (typeof listener !== 'function')
        throw new TypeError('subscribe: listener must be a function');
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    destroy() {
      destroyed = true;
      clearTimer();
      doc?.removeEventListener('visibilitychange', onVisible);
      win?.removeEventListener('online', onOnline);
      sync?.close();
      listeners.clear();
    },
  };

  const shouldRestore = options.restore ?? (doc !== undefined && doc !== null);
  if (shouldRestore) {
    state = Object.freeze({ ...state, status: 'refreshing' });
    void restore();
  }
  return client;
}
