// The public root of @evrmore-auth/client: what an app uses to sign in and call its API. Helpers
// (challenge checks, backoff, address/signature validation, tab-sync plumbing) stay internal.
export { createAuthClient } from './client.js';
export type {
  AllowedOrigin,
  AuthClient,
  AuthClientOptions,
  ClientTimers,
  SignInOptions,
} from './client.js';
export type { BackoffOptions } from './backoff.js';
export type {
  AuthState,
  AuthStatus,
  AuthReason,
  SignedOutReason,
  AuthListener,
  TokenType,
} from './state.js';
export type { DpopKeySource, DpopSendOptions } from './dpop-key-source.js';
export { EvrmoreAuthClientError } from './errors.js';
export type { ClientErrorCode, EvrmoreAuthClientErrorOptions } from './errors.js';
export { EvrmoreAuthError } from '@evrmore-auth/core';
export type { ErrorCode, SessionInfo, MfaMethod } from '@evrmore-auth/core';
export type { Signer } from './signers/signer.js';
export { injectedWalletSigner } from './signers/injected-wallet.js';
export type {
  InjectedEvrmoreProvider,
  InjectedWalletSignerOptions,
} from './signers/injected-wallet.js';
export { manualSigner } from './signers/manual.js';
export type { ManualSignRequest, ManualSignerOptions } from './signers/manual.js';
