/**
 * Machine-readable codes of {@link EvrmoreAuthClientError}: failures that happen in the browser
 * (wallet, network, phishing checks) rather than on the server.
 *
 * @example
 * ```ts
 * const retryable = (code: ClientErrorCode) => code === 'network_error';
 * ```
 */
export type ClientErrorCode =
  /** `fetch` itself failed (offline, DNS, CORS, connection reset) after the configured retries. */
  | 'network_error'
  /** No wallet injected `window.evrmore` within the wait timeout. */
  | 'wallet_not_found'
  /** The user declined the connection or the signature in the wallet. */
  | 'user_rejected'
  /** The wallet is locked or the site is not connected to it. */
  | 'not_connected'
  /** The wallet answered with an address of another chain (e.g. a Ravencoin R-address). */
  | 'wrong_network'
  /** An address that is not a valid P2PKH address of the expected network. */
  | 'invalid_address'
  /** The challenge names another domain, origin, address or chain than expected: refused unsigned. */
  | 'phishing_suspected'
  /** The server's challenge is not a well-formed Sign-In with Evrmore message. */
  | 'invalid_challenge'
  /** A signature that is not base64 of exactly 65 bytes. */
  | 'invalid_signature_encoding'
  /** The wallet failed in a way it did not explain. */
  | 'wallet_error'
  /** The server answered with something that is not the protocol's JSON. */
  | 'invalid_response'
  /** An operation that needs a session was called while signed out. */
  | 'not_signed_in'
  /** `verifyMfa` without a pending second-factor step. */
  | 'mfa_not_pending'
  /** `fetch` was asked to send the bearer token to an origin that is not allowed. */
  | 'origin_not_allowed'
  /** The operation was aborted through its `AbortSignal` (the error's `cause` is the signal's reason). */
  | 'aborted';

/**
 * Options of {@link EvrmoreAuthClientError}.
 *
 * @example
 * ```ts
 * new EvrmoreAuthClientError('network_error', 'offline', { cause: err });
 * ```
 */
export interface EvrmoreAuthClientErrorOptions {
  /** The underlying error, for logs. */
  cause?: unknown;
  /** HTTP status, for `invalid_response`. */
  status?: number;
}

/**
 * An error raised in the client (wallet, network, phishing defence), as opposed to an
 * `EvrmoreAuthError` answered by the server.
 *
 * @example
 * ```ts
 * import { EvrmoreAuthClientError } from '@evrmore-auth/client';
 * try {
 *   await auth.signIn();
 * } catch (err) {
 *   if (err instanceof EvrmoreAuthClientError && err.code === 'user_rejected') showToast('Cancelled');
 * }
 * ```
 */
export class EvrmoreAuthClientError extends Error {
  /** Always `EvrmoreAuthClientError`. */
  override readonly name = 'EvrmoreAuthClientError';
  // Set by the constructor: `declare` emits no field definitions before it (bundle size).
  /** What went wrong, as a stable code: a server error code or a client-side one. */
  declare readonly code: ClientErrorCode;
  /** The HTTP status of the server's answer; `undefined` when there was none (network, signer). */
  declare readonly status: number | undefined;

  constructor(code: ClientErrorCode, message: string, options: EvrmoreAuthClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}
