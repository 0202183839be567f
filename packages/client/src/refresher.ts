// The access token's life after sign-in: single-flight refresh (one request per tab, one per
// browser with the cross-tab lock), scheduling before expiry, bounded retries with backoff, and
// the hand-over of tokens and sign-outs between tabs.
import {
  EvrmoreAuthError,
  REQUESTED_WITH_HEADER,
  REQUESTED_WITH_VALUE,
  type SessionInfo,
  type TokenResponse,
} from '@evrmore-auth/core';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { DpopKeySource, DpopSendOptions } from './dpop-key-source.js';
import { EvrmoreAuthClientError } from './errors.js';
import type { AuthStore, SignedOutReason, TokenType } from './state.js';
import type { TabMessage, TabSync } from './tab-sync.js';
import { asTokenResponse, type Transport } from './transport.js';

/**
 * Timer functions the client schedules with (injectable for tests).
 *
 * @example
 * ```ts
 * const timers: ClientTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) };
 * ```
 */
export interface ClientTimers {
  /** Run `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer made by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** How long a tab without Web Locks waits for another tab's announced refresh, ms. */
const PEER_REFRESH_WAIT_MS = 5000;

/**
 * How long a tab told of another tab's DPoP key rotation holds its next proof for the end of it
 * (`key-rotated`), ms: a tab closed mid-rotation never says.
 */
const KEY_ROTATION_WAIT_MS = 2000;

/** Server codes that end the session: the client signs out (every tab) instead of retrying. */
const SIGN_OUT_CODES: ReadonlySet<string> = new Set<SignedOutReason>([
  'refresh_reused',
  'token_revoked',
  'refresh_invalid',
  'token_missing',
  'token_invalid',
  'token_expired',
  'fingerprint_mismatch',
  // The session is bound to a DPoP key this client no longer has (storage cleared): no refresh
  // can ever succeed.
  'dpop_key_mismatch',
]);

/** What the refresher needs from the client (validated options and the shared parts). */
export interface RefresherOptions {
  store: AuthStore;
  transport: Transport;
  sync: TabSync | null;
  marginMs: number;
  jitterMs: number;
  retries: number;
  backoff: BackoffOptions;
  now: () => number;
  random: () => number;
  timers: ClientTimers;
  /** The DPoP key: rotated when this tab signs out, reloaded when another tab did. */
  dpop: DpopKeySource | null;
}

/** The token lifecycle of one client. */
export interface Refresher {
  /** Single-flight refresh; `restoring` turns "no session" into a quiet `no-session` sign-out. */
  refresh(restoring?: boolean): Promise<string | null>;
  /** A valid access token, refreshing first when it is about to expire; `null` when signed out. */
  getAccessToken(): Promise<string | null>;
  /** The refresh in flight, if any. */
  readonly inflight: Promise<string | null> | null;
  /** Whether the scheduled refresh time has passed (a sleeping laptop, a throttled tab). */
  isDue(): boolean;
  /** Hold a token answer (sign-in, MFA), tell the other tabs, notify. */
  acceptTokens(body: TokenResponse): void;
  /**
   * The DPoP options of a request whose answer binds tokens to its proof's key (sign-in, MFA):
   * when a sign-out replaced that key meanwhile, it is kept, and the other tabs are told to read
   * it.
   */
  readonly binding: DpopSendOptions;
  /** Forget the tokens and go signed-out; `broadcast` signs out the other tabs too. */
  forget(reason: SignedOutReason, broadcast: boolean, error?: Error | null): void;
  /** Stop the timer and ignore further tab messages. */
  stop(): void;
}

/** Create the refresher of a client. */
export function createRefresher(options: RefresherOptions): Refresher {
  const { store, transport, sync, now, random, timers } = options;
  let refreshAtMs = 0;
  let refreshTimer: unknown;
  let inflight: Promise<string | null> | null = null;
  let stopped = false;
  // Without Web Locks (and as a guard with them): until when another tab said it is refreshing.
  // A tab that wants to refresh before then waits (bounded) for the tokens that tab will
  // broadcast; `tokenWaiters` are woken as soon as any tokens arrive.
  let peerRefreshUntil = 0;
  const tokenWaiters = new Set<() => void>();
  // Woken by another tab's `key-rotated`: the DPoP key it announced with `signed-out` is stored.
  const rotationWaiters = new Set<() => void>();

  /** Resolves when one of `waiters` is called (the set is then emptied), or after `ms`. */
  const waitFor = (waiters: Set<() => void>, ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const handle = timers.setTimeout(done, ms);
      function done(): void {
        timers.clearTimeout(handle);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  const wake = (waiters: Set<() => void>): void => {
    for (const done of waiters) done();
  };

  const clearTimer = (): void => {
    if (refreshTimer !== undefined) timers.clearTimeout(refreshTimer);
    refreshTimer = undefined;
  };
  const schedule = (): void => {
    clearTimer();
    if (stopped || store.accessToken === null) return;
    const expiresAtMs = store.expiresAtMs;
    const lifetime = Math.max(0, expiresAtMs - now());
    const cap = lifetime / 2;
    const lead = Math.min(options.marginMs, cap) + random() * Math.min(options.jitterMs, cap / 2);
    refreshAtMs = expiresAtMs - lead;
    refreshTimer = timers.setTimeout(
      () => {
        refreshTimer = undefined;
        void refresh().catch(() => undefined);
      },
      Math.max(0, refreshAtMs - now()),
    );
  };

  /** Hold new tokens (no listener call: may run under the lock) and schedule the next refresh. */
  const adopt = (
    token: string,
    expiry: number,
    session: SessionInfo,
    tokenType: TokenType,
  ): void => {
    store.storeTokens(token, expiry, session, tokenType);
    // A peer's announced refresh (if any) is over: it delivered these tokens, or we did.
    peerRefreshUntil = 0;
    wake(tokenWaiters);
    schedule();
  };
  const adoptAnswer = (body: TokenResponse): void => {
    const expiry = now() + body.expiresIn * 1000;
    // The scheme follows the server's answer: a server with DPoP off issues Bearer tokens even to a
    // client that sent a proof.
    const tokenType = (body.tokenType as string) === 'DPoP' ? 'DPoP' : 'Bearer';
    adopt(body.accessToken, expiry, body.session, tokenType);
    sync?.post({
      type: 'tokens',
      accessToken: body.accessToken,
      expiresAtMs: expiry,
      session: body.session,
      tokenType,
    });
  };
  const forget = (
    reason: SignedOutReason,
    broadcast: boolean,
    error: Error | null = null,
  ): void => {
    clearTimer();
    if (broadcast) {
      const { dpop } = options;
      // The other tabs sign out at once; with a DPoP key they hold their next proof until
      // `key-rotated` says the new key is stored (read before that, the old key would be kept).
      sync?.post({ type: 'signed-out', reason, ...(dpop ? { rotating: true } : {}) });
      // A new key for the next session: a token or refresh cookie of this one that leaked stays
      // useless. Proofs wait for the new key.
      void dpop?.rotate().then(() => sync?.post({ type: 'key-rotated' }));
    }
    store.forget(reason, error);
  };

  sync?.onMessage((message: TabMessage) => {
    if (stopped) return;
    if (message.type === 'refreshing') {
      peerRefreshUntil = now() + PEER_REFRESH_WAIT_MS;
      return;
    }
    if (message.type === 'key-rotated') {
      wake(rotationWaiters);
      // A rotation slower than the wait: the key read meanwhile may be the one it replaced.
      options.dpop?.reload();
      return;
    }
    if (message.type === 'tokens') {
      if (message.accessToken === store.accessToken) return;
      adopt(
        message.accessToken,
        message.expiresAtMs,
        message.session,
        message.tokenType ?? 'Bearer',
      );
      store.notify();
    } else {
      // The other tab rotates the key the tabs share: read the new one at the next proof, once
      // it is stored.
      options.dpop?.reload(
        message.rotating ? waitFor(rotationWaiters, KEY_ROTATION_WAIT_MS) : undefined,
      );
      if (store.accessToken !== null || store.state.status !== 'signed-out')
        forget('other-tab', false);
    }
  });

  /** Run `fn` holding the cross-tab lock; listeners hear about its changes after release. */
  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!sync) return fn();
    try {
      return await sync.withLock(() => store.underLock(fn));
    } finally {
      store.flush();
    }
  };

  /** One `POST /refresh` with bounded retries on network errors and 503. */
  const postRefresh = async (): Promise<TokenResponse> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await transport.sendProved(
          transport.jsonRequest(
            'POST',
            '/refresh',
            {},
            { [REQUESTED_WITH_HEADER]: REQUESTED_WITH_VALUE },
          ),
        );
        const body = await transport.readJson<unknown>(response);
        return asTokenResponse(body, 'refresh');
      } catch (err) {
        const retryable =
          (err instanceof EvrmoreAuthClientError && err.code === 'network_error') ||
          (err instanceof EvrmoreAuthError && err.code === 'unavailable');
        if (!retryable || attempt >= options.retries) throw err;
        const delay = backoffDelay(attempt, options.backoff, random);
        await new Promise<void>((resolve) => timers.setTimeout(resolve, delay));
      }
    }
  };

  const tokenIsFresh = (): boolean => store.accessToken !== null && now() < refreshAtMs;

  const refresh = (restoring = false): Promise<string | null> => {
    if (inflight) return inflight;
    const startGeneration = store.generation;
    const previous = store.state;
    if (previous.status !== 'signing-in' && previous.status !== 'mfa-required')
      store.set({ status: 'refreshing', reason: null, error: null });
    inflight = (async (): Promise<string | null> => {
      let failure: unknown;
      try {
        await withLock(async () => {
          // Another tab refreshed while we waited for the lock: adopt its token, no request.
          if (store.generation !== startGeneration && tokenIsFresh()) return;
          if (sync) {
            // If another tab announced a refresh, wait (bounded) for the token it will broadcast;
            // else announce ours. With Web Locks too: the lock can reach us before the peer's
            // token does (BroadcastChannel and Web Locks are not ordered with each other), and
            // refreshing then would be a second request for the same expiry.
            const waitMs = peerRefreshUntil - now();
            if (waitMs > 0) {
              await waitFor(tokenWaiters, waitMs);
              if (store.generation !== startGeneration && tokenIsFresh()) return;
            }
            sync.post({ type: 'refreshing' });
          }
          adoptAnswer(await postRefresh());
        });
      } catch (err) {
        failure = err;
      }
      if (failure === undefined) {
        store.notify();
        return store.accessToken;
      }
      if (failure instanceof EvrmoreAuthError && SIGN_OUT_CODES.has(failure.code)) {
        if (restoring && store.accessToken === null) forget('no-session', false);
        else forget(failure.code as SignedOutReason, true, failure);
        return null;
      }
      const error = failure instanceof Error ? failure : new Error(String(failure));
      store.set({
        status: 'error',
        reason:
          failure instanceof EvrmoreAuthError || failure instanceof EvrmoreAuthClientError
            ? failure.code
            : 'unknown',
        error,
        session: previous.session,
        address: previous.address,
      });
      if (store.accessToken !== null && now() < store.expiresAtMs) return store.accessToken;
      throw failure;
    })().finally(() => {
      inflight = null;
    });
    return inflight;
  };

  return {
    refresh,
    get inflight() {
      return inflight;
    },
    async getAccessToken() {
      const token = store.accessToken;
      // A still-valid token is used even while an early refresh is in flight.
      if (token !== null && now() < store.expiresAtMs - 1000) return token;
      if (inflight) return inflight;
      if (token === null) return null;
      return refresh();
    },
    isDue: () => store.accessToken !== null && now() >= refreshAtMs,
    acceptTokens(body) {
      adoptAnswer(body);
      store.notify();
    },
    binding: { rebound: () => sync?.post({ type: 'key-rotated' }) },
    forget,
    stop() {
      stopped = true;
      clearTimer();
    },
  };
}
