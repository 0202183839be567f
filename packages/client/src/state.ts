import type { MfaMethod, SessionInfo } from '@evrmore-auth/core';

/**
 * Where the client is in the sign-in lifecycle.
 *
 * - `signed-out`: no session (see `reason`: `user`, `other-tab`, `no-session`, or a server code
 *   such as `refresh_reused` / `token_revoked` / `refresh_invalid`).
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
  readonly status: AuthStatus;
  /** The current session, while signed in or refreshing. */
  readonly session: SessionInfo | null;
  /** The signed-in (or signing-in) address. */
  readonly address: string | null;
  /** Why the client is signed out or in error: a protocol error code or a client reason. */
  readonly reason: string | null;
  /** The error behind an `error` state. */
  readonly error: Error | null;
  /** Second-factor methods offered, in `mfa-required`. */
  readonly mfaMethods: readonly MfaMethod[] | null;
}

/**
 * A state listener; called after every change, never while the cross-tab lock is held.
 *
 * @example
 * ```ts
 * const listener: AuthListener = (state) => console.log(state.status);
 * ```
 */
export type AuthListener = (state: AuthState) => void;
