export { createAuthClient } from './client.js';
export type { AuthClient, AuthClientOptions, ClientTimers } from './client.js';
export type { AuthState, AuthStatus, AuthListener } from './state.js';
export { EvrmoreAuthClientError } from './errors.js';
export { errorFromResponse } from './transport.js';
export type { ClientErrorCode, EvrmoreAuthClientErrorOptions } from './errors.js';
export { checkChallenge } from './challenge-guard.js';
export type { CheckChallengeOptions } from './challenge-guard.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export type { Signer } from './signers/signer.js';
export { injectedWalletSigner } from './signers/injected-wallet.js';
export type {
  InjectedEvrmoreProvider,
  InjectedWalletSignerOptions,
} from './signers/injected-wallet.js';
export { manualSigner, shellQuote, signMessageCommand } from './signers/manual.js';
export type { ManualSignRequest, ManualSignerOptions } from './signers/manual.js';
export { assertAddress, assertSignatureEncoding } from './signers/validate.js';
export type { LockManagerLike, BroadcastChannelLike, TabMessage } from './tab-sync.js';
export { EvrmoreAuthError } from '@evrmore-auth/core';
export type { ErrorCode, SessionInfo, MfaMethod } from '@evrmore-auth/core';
