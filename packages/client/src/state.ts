import type { ErrorCode, MfaMethod, SessionInfo } from '@evrmore-auth/core';
import type { ClientErrorCode } from './errors.js';

/**
 * Where the client is in the sign-in lifecycle.
 *
 * - `signed-out`: no session (see `reason`).
 * - `signing-in`: a challenge is being fetched, signed or verified.
 * - `mfa-required`: the signature was accepted; a second factor is due (`verifyMfa`).
 * - `signed-in`: an access token is held in memory.
 * - `refreshing`: a new access token is being obtained (also while restoring after a reload).
 * - `error`: the last operation failed (see `reason` and `error`); the session may still be live.
 *
 * @example
 * ```ts
 * const status: AuthStatus = auth.getState().status;
 * ```
 */
export type AuthStatus =
  'signed-out' | 'signing-in' | 'signed-in' | 'refreshing' | 'mfa-required' | 'error';

/**
 * Why the client signed out, as `reason` of a `signed-out` state.
 *
 * - `user`: `signOut()`, or `revokeSession()` of the current session.
 * - `other-tab`: another tab of the same app signed out (or lost its session).
 * - `no-session`: there was no session to restore (no refresh cookie, or no session hint cookie,
 *   see `sessionHintCookie`).
 * - `aborted`: `signIn` was aborted through its `signal` while no session was held.
 * - a server code: the session ended on the server (`refresh_reused`, `token_revoked`,
 *   `refresh_invalid`, `token_missing`, `token_invalid`, `token_expired`, `fingerprint_mismatch`),
 *   or cannot be refreshed by this client (`dpop_key_mismatch`: bound to a DPoP key it no longer
 *   holds).
 *
 * @example
 * ```ts
 * if (state.status === 'signed-out' && state.reason === 'refresh_reused') warnUser();
 * ```
 */
export type SignedOutReason =
  | 'user'
  | 'other-tab'
  | 'no-session'
  | 'aborted'
  | 'refresh_reused'
  | 'token_revoked'
  | 'refresh_invalid'
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'fingerprint_mismatch'
  | 'dpop_key_mismatch';

/**
 * Every `reason` the client puts in its state:
 *
 * - in `signed-out`: a {@link SignedOutReason};
 * - in `error`: the failed operation's code, a server {@link ErrorCode} (e.g. `invalid_signature`,
 *   `rate_limited`, `unavailable`) or a {@link ClientErrorCode} (e.g. `network_error`,
 *   `user_rejected`, `phishing_suspected`), or `unknown` for a non-library error (a signer that
 *   threw a plain `Error`);
 * - in `mfa-required`: `mfa_invalid` after a wrong code;
 * - in `signed-in`: `aborted` after a `signIn` aborted while a session was held (the session is
 *   kept);
 * - `null` otherwise.
 *
 * @example
 * ```ts
 * const reason: AuthReason | null = auth.getState().reason;
 * ```
 */
export type AuthReason = SignedOutReason | ErrorCode | ClientErrorCode | 'unknown';

/**
 * An immutable snapshot of the client's state; a new object on every change (suitable for
 * React's `useSyncExternalStore`).
 *
 * @example
 * ```ts
 * auth.subscribe((state) => {
 *   if (state.status === 'signed-out' && state.reason === 'refresh_reused') alert('Signed out for your safety');
 * });
 * ```
 */
export interface AuthState {
  /**
   * Where the client is: signed out, signing in, signed in, refreshing, waiting for a second
   * factor, or failed.
   */
  readonly status: AuthStatus;
  /** The current session, while signed in or refreshing. */
  readonly session: SessionInfo | null;
  /** The signed-in (or signing-in) address. */
  readonly address: string | null;
  /**
   * When the access token held in memory expires, ms since the epoch (this client's clock), or
   * `null` while no token is held. The client refreshes it before then by itself.
   */
  readonly expiresAt: number | null;
  /** Why the client is signed out or in error (see {@link AuthReason}). */
  readonly reason: AuthReason | null;
  /** The error behind an `error` state. */
  readonly error: Error | null;
  /** Second-factor methods offered, in `mfa-required`. */
  readonly mfaMethods: readonly MfaMethod[] | null;
  /**
   * The scheme of the access token held, as the server answered: `DPoP` when it is bound to the
   * client's DPoP key (see the `dpop` option), else `Bearer`; `null` while no token is held.
   */
  readonly tokenType: TokenType | null;
}

/**
 * The scheme of an access token: `Bearer`, or `DPoP` for a token bound to the client's DPoP key
 * (RFC 9449), sent as `Authorization: DPoP <token>` with a proof.
 *
 * @example
 * ```ts
 * const bound = auth.getState().tokenType === 'DPoP';
 * ```
 */
export type TokenType = 'Bearer' | 'DPoP';

/**
 * A state listener; called after every change, never while the cross-tab lock is held.
 *
 * @example
 * ```ts
 * const listener: AuthListener = (state) => console.log(state.status);
 * ```
 */
export type AuthListener = (state: AuthState) => void;

/** The signed-out snapshot a client starts from. */
const SIGNED_OUT: AuthState = Object.freeze({
  status: 'signed-out',
  session: null,
  address: null,
  expiresAt: null,
  reason: null,
  error: null,
  mfaMethods: null,
  tokenType: null,
});

/**
 * The client's state: the public snapshot and its listeners, and the tokens behind it. The access
 * token never leaves this object except to `fetch` and to the other tabs.
 */
export interface AuthStore {
  /** The current snapshot. */
  readonly state: AuthState;
  /** The access token in memory, or `null`. */
  readonly accessToken: string | null;
  /** When the access token expires, ms since the epoch (0 without a token). */
  readonly expiresAtMs: number;
  /**
   * Counts every change of the token held (new tokens from any source, or forgetting them). A
   * refresh reads it when it starts and again once it holds the cross-tab lock: a different value
   * means another tab (or a sign-in) delivered tokens meanwhile, and those are adopted instead of
   * sending a second `/refresh` for the same expiry.
   */
  readonly generation: number;
  /** The pending second-factor token between `/verify` and `/mfa/verify`, or `null`. */
  mfaToken: string | null;
  /** Replace part of the snapshot and notify (deferred while the lock is held). */
  set(patch: Partial<AuthState>): AuthState;
  /** Hold new tokens and the signed-in snapshot; listeners are told at the next `notify()`. */
  storeTokens(token: string, expiresAtMs: number, session: SessionInfo, tokenType: TokenType): void;
  /** Forget the tokens and go signed-out with `reason` (notifies). */
  forget(reason: SignedOutReason, error?: Error | null): void;
  /** Tell the listeners about the current snapshot, unless the cross-tab lock is held. */
  notify(): void;
  /** Run `fn` as holding the cross-tab lock: listener calls wait until it (and any outer hold) ends. */
  underLock<T>(fn: () => Promise<T>): Promise<T>;
  /** After a locked section: tell the listeners about a change it deferred, if any. */
  flush(): void;
  subscribe(listener: AuthListener): () => void;
  /** Drop every listener. */
  clear(): void;
}

/** Create the client's state holder. */
export function createAuthStore(): AuthStore {
  let state = SIGNED_OUT;
  let accessToken: string | null = null;
  let expiresAtMs = 0;
  let generation = 0;
  // Listeners never run while this tab holds the cross-tab refresh lock: a listener may call back
  // into the client (fetch, refresh, sign out), and what it sees must be the outcome of the locked
  // section, not a half-done refresh. `lockDepth` counts the locked sections in progress (a
  // refresh can nest inside another's lock wait); while it is above zero a change only sets
  // `pendingNotify`, and the last section to leave calls the listeners once with the final
  // snapshot. Invariant: pendingNotify is true only while a change has not been announced yet.
  let lockDepth = 0;
  let pendingNotify = false;
  const listeners = new Set<AuthListener>();

  const store: AuthStore = {
    get state() {
      return state;
    },
    get accessToken() {
      return accessToken;
    },
    get expiresAtMs() {
      return expiresAtMs;
    },
    get generation() {
      return generation;
    },
    mfaToken: null,
    set(patch) {
      state = Object.freeze({ ...state, ...patch });
      store.notify();
      return state;
    },
    storeTokens(token, expiry, session, type) {
      accessToken = token;
      expiresAtMs = expiry;
      generation++;
      store.mfaToken = null;
      state = Object.freeze({
        status: 'signed-in',
        session,
        address: session.address,
        expiresAt: expiry,
        reason: null,
        error: null,
        mfaMethods: null,
        tokenType: type,
      });
      pendingNotify = true;
    },
    forget(reason, error = null) {
      accessToken = null;
      expiresAtMs = 0;
      store.mfaToken = null;
      generation++;
      store.set({
        status: 'signed-out',
        session: null,
        address: null,
        expiresAt: null,
        reason,
        error,
        mfaMethods: null,
        tokenType: null,
      });
    },
    notify() {
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
    },
    async underLock(fn) {
      lockDepth++;
      try {
        return await fn();
      } finally {
        lockDepth--;
      }
    },
    flush() {
      if (pendingNotify && lockDepth === 0) store.notify();
    },
    subscribe(listener) {
      if (typeof listener !== 'function')
        throw new TypeError('subscribe: listener must be a function');
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    clear() {
      listeners.clear();
    },
  };
  return store;
}
